"""Bearer tokens the X media sandbox fixtures accept (fake; the tests check they never leak)."""

X_TOKEN = "x-SECRET-bearer-7c41d0"
X_TOKEN_NO_SCOPE = "x-SECRET-noscope-99ab"
