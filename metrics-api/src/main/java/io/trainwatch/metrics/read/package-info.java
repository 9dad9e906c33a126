/** Stage 5, read: stored runs, histories, verdicts and control state in, JSON views out, with run heads for ETags/304, downsampling and waits for a run to change; shared by REST and MCP. */
package io.trainwatch.metrics.read;
