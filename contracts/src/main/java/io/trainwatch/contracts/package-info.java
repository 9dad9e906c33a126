/**
 * The events every Trainwatch part exchanges: immutable records, topic and CloudEvents type names,
 * limits, and the one JSON codec. Plain Java and Jackson only, so any producer or consumer can depend on it.
 */
package io.trainwatch.contracts;
