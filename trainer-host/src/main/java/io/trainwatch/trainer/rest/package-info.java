/** The jobs REST API on port 8081 and its RFC 9457 problem responses. */
package io.trainwatch.trainer.rest;
