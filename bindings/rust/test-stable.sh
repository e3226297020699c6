#!/bin/sh
# The Rust bindings with rustup's stable toolchain, warnings as errors.
exec "$SHELL" "${top_srcdir:-.}/bindings/rust/cargo-test.sh" stable
