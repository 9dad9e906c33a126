/** The trainwatch command line: picocli commands over the metrics-api and trainer-host REST APIs and SSE. */
package io.trainwatch.cli;
