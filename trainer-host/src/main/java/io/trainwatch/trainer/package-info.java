/** Trainer host: trains DJL models and publishes one event per epoch to Kafka without ever blocking training. */
package io.trainwatch.trainer;
