/* fuzz_members: the membership text parser (members.c), which reads the
 * --cluster option, RAFT.NODE ADD's address, the configuration entries a
 * leader sends in its appends, the snapshot image header and the state
 * machine's metadata. Input: the text.
 * Invariants: an accepted text yields at most MEMBERS_MAX members, sorted
 * by id without repeats, ids at least 1, and for members with an address a
 * non-empty host and valid ports; its canonical form (members_format)
 * parses back to the same members and formats to the same text again,
 * and members_format_one agrees with it member by member. */
#include "fuzzlib.h"
#include "members.h"

static void check_valid(const members *ms) {
    FUZZ_CHECK(ms->n >= 0 && ms->n <= MEMBERS_MAX);
    for (int i = 0; i < ms->n; i++) {
        const cluster_member *m = &ms->m[i];
        FUZZ_CHECK(m->id >= 1 && (i == 0 || m->id > m[-1].id));
        FUZZ_CHECK(m->learner == 0 || m->learner == 1);
        FUZZ_CHECK(memchr(m->host, 0, sizeof(m->host)) != NULL);
        if (m->host[0]) FUZZ_CHECK(m->port >= 1 && m->port <= 65535 && m->peer_port >= 1 && m->peer_port <= 65535);
        else FUZZ_CHECK(m->port == 0 && m->peer_port == 0);
    }
}

static void same_members(const members *a, const members *b) {
    FUZZ_CHECK(a->n == b->n);
    for (int i = 0; i < a->n; i++) {
        const cluster_member *x = &a->m[i], *y = &b->m[i];
        FUZZ_CHECK(x->id == y->id && x->learner == y->learner && strcmp(x->host, y->host) == 0);
        FUZZ_CHECK(x->port == y->port && x->peer_port == y->peer_port);
    }
    FUZZ_CHECK(a->nretired == b->nretired);
    for (int i = 0; i < a->nretired; i++) FUZZ_CHECK(a->retired[i] == b->retired[i]);
}

/* The canonical text, also built member by member. */
static void format_both(const members *ms, buf *out) {
    buf one;
    buf_init(&one);
    members_format(ms, out);
    for (int i = 0; i < ms->n; i++) {
        if (i) buf_append(&one, ",", 1);
        members_format_one(&ms->m[i], &one);
    }
    for (int i = 0; i < ms->nretired; i++) {  /* retired ids follow, sorted, never members */
        FUZZ_CHECK(ms->retired[i] >= 1 && (i == 0 || ms->retired[i - 1] < ms->retired[i]));
        FUZZ_CHECK(!members_get(ms, ms->retired[i]));
        buf_printf(&one, "%s-%llu", ms->n || i ? "," : "", (unsigned long long)ms->retired[i]);
    }
    FUZZ_CHECK(same_bytes(out->data, out->len, one.data, one.len));
    buf_free(&one);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    members ms, again;
    char err[160] = "";
    if (members_parse((const char *)data, size, &ms, err, sizeof(err)) < 0) {
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    check_valid(&ms);
    buf text, text2;
    buf_init(&text);
    buf_init(&text2);
    format_both(&ms, &text);
    int rc = members_parse(text.data ? text.data : "", text.len, &again, err, sizeof(err));
    if (rc < 0) fprintf(stderr, "canonical text '%.*s' refused: %s\n", (int)text.len, text.data, err);
    FUZZ_CHECK(rc == 0);
    same_members(&ms, &again);
    format_both(&again, &text2);
    FUZZ_CHECK(same_bytes(text.data, text.len, text2.data, text2.len));
    buf_free(&text);
    buf_free(&text2);
    return 0;
}
