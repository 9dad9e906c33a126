/** Model architectures (MLP, small CNN) built as DJL blocks from a job spec. */
package io.trainwatch.trainer.models;
