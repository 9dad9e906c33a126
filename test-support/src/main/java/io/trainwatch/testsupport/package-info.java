/**
 * Test infrastructure shared by every module's tests (test scope only): {@link io.trainwatch.testsupport.TopicReader}
 * reads a Kafka topic, {@link io.trainwatch.testsupport.SseClient} reads a server-sent event stream.
 */
package io.trainwatch.testsupport;
