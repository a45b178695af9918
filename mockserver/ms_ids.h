/* ms_ids -- random ids the backend generates: uuid4().hex[:8] suffixes and full uuid4 strings. */
#ifndef MS_IDS_H
#define MS_IDS_H

#include <stdint.h>

/* A small seeded PRNG (xoshiro/splitmix family). One per server; not thread-safe. */
struct ms_rng {
    uint64_t s[4];
};

/* Seeds deterministically (the same seed gives the same ids: --seed). */
void ms_rng_seed(struct ms_rng *rng, uint64_t seed);
/* Seeds from the OS (getrandom, falling back to time and pid). */
void ms_rng_seed_random(struct ms_rng *rng);
uint64_t ms_rng_next(struct ms_rng *rng);

/* Writes 8 lowercase hex chars + NUL (uuid4().hex[:8]: the version nibble is not among them). */
void ms_ids_hex8(struct ms_rng *rng, char out[9]);
/* Writes a uuid4 string "xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx" (Y in 8,9,a,b) + NUL. */
void ms_ids_uuid4(struct ms_rng *rng, char out[37]);

#endif
