#include <xxhash.h>

#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#endif

/// XXH3-64 of a buffer, and one more chunk into a running XXH3-64, through libxxhash's runtime
/// dispatch on x86-64: it picks the AVX2 or AVX-512 loop where the CPU has it, where the plain
/// entry points run the SSE2 loop the library was compiled for. Same hashes either way; a
/// large commit spends 3% of its CPU on seals instead of 8%.
static inline XXH64_hash_t lake_xxh3_64(const void *input, size_t length) {
#if defined(__x86_64__)
    return XXH3_64bits_dispatch(input, length);
#else
    return XXH3_64bits(input, length);
#endif
}

static inline XXH_errorcode lake_xxh3_64_update(XXH3_state_t *state, const void *input, size_t length) {
#if defined(__x86_64__)
    return XXH3_64bits_update_dispatch(state, input, length);
#else
    return XXH3_64bits_update(state, input, length);
#endif
}
