/** The REST resources under /api/v1, HTTP ingest, and the one problem+json exception mapper. */
package io.trainwatch.metrics.rest;
