/** Training job specifications: the JSON a user submits, presets that expand to one, and validation that names the field. */
package io.trainwatch.trainer.spec;
