package io.trainwatch.metrics.security;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** One audited action: who (the token's name), when, from where, what, on which run, and whether it was allowed. */
@Entity
@Table(name = "audit_log")
public class AuditEntry extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    public Instant at;

    public String principal;

    @Column(name = "remote_address")
    public String remoteAddress;

    public String action;

    public String outcome;

    @Column(name = "run_id")
    public String runId;

    public String detail;
}
