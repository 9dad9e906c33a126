/**
 * A real Kafka broker (KRaft, in-JVM) and a real PostgreSQL on localhost without Docker: {@code ./run} starts it as
 * a process (LocalStackMain), tests share one per JVM through LocalStackTestResource. LocalStack owns a KafkaNode and a
 * PostgresNode; tests see either it or, from a Quarkus class loader, a RemoteStack, both as a Stack.
 */
package io.trainwatch.stack;
