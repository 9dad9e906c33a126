/** Pure logic for history reads: query parameters, downsampling that keeps extremes, CSV, ETags. No framework imports. */
package io.trainwatch.metrics.history;
