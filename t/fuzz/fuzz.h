/*
 * The shape every fuzz harness of t/fuzz/ shares: libFuzzer's entry point,
 * and a scratch file for the readers that take a path.  A harness is built
 * twice: with clang's -fsanitize=fuzzer for 'make fuzz', and with
 * t/fuzz/driver.c (a plain main) so that any compiler can run its corpus
 * and saved crashers as a regression in 'make test'.
 */
#ifndef SILO_FUZZ_H
#define SILO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write DATA to a scratch file of this process and return its path
 * (the same path on every call); NULL if it cannot be written. */
const char *fuzz_scratch_file(const uint8_t *data, size_t size);

/* Split DATA at its first byte's worth of length (for two-part inputs):
 * *a gets min(first byte * 4, rest) bytes after it, *b the remainder. */
void fuzz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *alen,
		const uint8_t **b, size_t *blen);

#endif
