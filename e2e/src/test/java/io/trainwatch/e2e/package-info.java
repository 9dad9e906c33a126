/**
 * End-to-end tests: the packaged trainer-host and metrics-api run as real processes on a real Kafka and PostgreSQL
 * (the local stack), and the tests drive them only through their public HTTP APIs.
 */
package io.trainwatch.e2e;
