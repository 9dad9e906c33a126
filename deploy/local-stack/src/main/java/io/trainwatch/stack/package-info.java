/**
 * A real Kafka broker (KRaft, in-JVM) and a real PostgreSQL on localhost without Docker: {@code ./run} starts it as
 * a process (LocalStackMain), tests share one per JVM through LocalStackTestResource.
 */
package io.trainwatch.stack;
