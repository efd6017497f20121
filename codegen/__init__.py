"""Build-time code generation from oneall_push.endpoints (never imported by the package)."""
