/**
 * The analysis engine: turns a run's epochs into a training-health verdict with a recommendation and its evidence.
 * Plain Java on purpose: no clock, no I/O, no framework, so it is deterministic, fast and testable by the thousand.
 */
package io.trainwatch.analysis;
