/** Training data: synthetic sets made on the fly (spirals, blobs, regression) and loaders for CSV and IDX files. */
package io.trainwatch.trainer.datasets;
