/** The OpenAPI contract: the schemas of the REST documents, and the build-time filter that completes the document. */
package io.trainwatch.metrics.openapi;
