/* ms_ids -- xoshiro256** seeded with splitmix64, and the uuid4-style ids the backend generates. */
#include "ms_ids.h"

#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void ms_rng_seed(struct ms_rng *rng, uint64_t seed)
{
    /* splitmix64 never yields four zero words in a row, so the xoshiro state is never all zero. */
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

void ms_rng_seed_random(struct ms_rng *rng)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        seed ^= (uint64_t)getpid() << 32;
    }
    ms_rng_seed(rng, seed);
}

uint64_t ms_rng_next(struct ms_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void ms_ids_hex8(struct ms_rng *rng, char out[9])
{
    snprintf(out, 9, "%08x", (unsigned)(ms_rng_next(rng) >> 32));
}

void ms_ids_uuid4(struct ms_rng *rng, char out[37])
{
    uint64_t hi = ms_rng_next(rng);
    uint64_t lo = ms_rng_next(rng);
    hi = (hi & ~0xf000ULL) | 0x4000ULL;       /* version 4 */
    lo = (lo & ~(3ULL << 62)) | (2ULL << 62); /* variant 10xx: 8, 9, a or b */
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32),
             (unsigned)(hi >> 16) & 0xffff, (unsigned)hi & 0xffff, (unsigned)(lo >> 48),
             (unsigned long long)(lo & 0xffffffffffffULL));
}
