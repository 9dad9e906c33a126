/** Who may do what: bearer tokens with scopes and projects, the filter that checks every request, and the audit log. */
package io.trainwatch.metrics.security;
