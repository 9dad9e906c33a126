/** Who may use the job API: bearer tokens checked against metrics-api, which owns them. */
package io.trainwatch.trainer.security;
