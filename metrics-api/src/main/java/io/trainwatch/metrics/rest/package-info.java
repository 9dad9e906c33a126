/** Adapters, REST: the resources under /api/v1 over read and the run commands, HTTP ingest, and the one problem+json exception mapper. */
package io.trainwatch.metrics.rest;
