"""Reviewer's audit: the paper's claims registered, recomputed, checked and traced to their
inputs."""

from analysis.audit.run import AuditResult, audit, load_registry, render_findings, write_audit

__all__ = ["AuditResult", "audit", "load_registry", "render_findings", "write_audit"]
