#include "forward.h"
#include "auth.h"
#include "entry.h"
#include "idmap.h"
#include "multi.h"
#include "node.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Follower: clients by session id (a is 0). Leader: proxies by follower
 * id and session id. */
static idmap sessions, proxies;
static uint64_t next_sid;

/* Session ids start at a random point: a restarted follower must not
 * reuse an id the leader may still hold a proxy for. */
void forward_init(void) {
    if (getrandom(&next_sid, sizeof(next_sid), 0) != sizeof(next_sid)) next_sid = (uint64_t)time(NULL);
    next_sid = (next_sid | 1) << 20;
}

void forward_free(void) {
    idmap_free(&sessions);
    idmap_free(&proxies);
}

/* ---- follower side ---- */

/* s is answered or failed: no longer counted against its client. */
static void forward_unpend(client *c, const slot *s) {
    c->fwd_pending--;
    c->fwd_bytes -= s->fwd_bytes;
}

void forward_detach(slot *s) {
    if (s->c) forward_unpend(s->c, s);
}

/* Ends c's session; its owed requests fail. A write whose frame had not
 * left this node when our link to the leader closed (sent on `link`, its
 * end past `unsent_from`) never ran: it fails as not applied, not as
 * unknown. Only that link's close tells: while it is up, a frame still
 * queued on it goes out, even after the session ended for another
 * reason. */
static void end_session(client *c, uint64_t link, uint64_t unsent_from) {
    if (!c->fwd_sid) return;
    multi_session_ended(c);
    idmap_del(&sessions, 0, c->fwd_sid);
    peer_send_forward_close(c->fwd_to, c->fwd_sid);
    for (slot *s = c->shead; s && c->fwd_pending; s = s->next)
        if (s->state == SLOT_FWD)
            slot_fail(s, s->write && !(s->fwd_end && s->fwd_link == link && s->fwd_end > unsent_from) ? ERR_UNKNOWN
                                                                                                  : ERR_NO_LEADER);
    c->fwd_sid = c->fwd_to = 0;
}

void forward_end(client *c) { end_session(c, 0, UINT64_MAX); }

/* The user this node vouches for: the one c authenticated as, while that
 * user has a password here; else none ("": the leader applies its own
 * rule, so a node left without a password opens nothing on the leader). */
const char *forward_vouched_user(const client *c) {
    const char *name = acl_user_name(c->user);
    return c->authenticated && !(c->user == auth_default_user() && acl_user_nopass(c->user)) ? name : "";
}

int forward_request(client *c, uint64_t leader, int write, int argc, rstr *argv) {
    if (c->fwd_sid && c->fwd_to != leader) forward_end(c);
    /* a client whose transaction the old leader held is being disconnected
     * (multi_session_ended): its request must not reach the new leader,
     * where a SET queued after MULTI would run on its own */
    if (c->close_asap) return -1;
    if (!c->fwd_sid) {
        c->fwd_sid = ++next_sid;
        c->fwd_to = leader;
        idmap_put(&sessions, 0, c->fwd_sid, c);
    }
    /* the command goes behind FORWARD_USER_TAG and its user (forward.h) */
    rstr *wrapped = xmalloc(((size_t)argc + 2) * sizeof(rstr));
    const char *user = forward_vouched_user(c);
    wrapped[0] = (rstr){(char *)FORWARD_USER_TAG, strlen(FORWARD_USER_TAG)};
    wrapped[1] = (rstr){(char *)user, strlen(user)};
    memcpy(wrapped + 2, argv, (size_t)argc * sizeof(rstr));
    /* the term vouches that no newer leader existed once this was asked */
    uint64_t link, end;
    int sent = peer_send_forward(leader, c->fwd_sid, node_term(), argc + 2, wrapped, &link, &end);
    free(wrapped);
    if (sent < 0) return -1;
    slot *s = slot_new(c, SLOT_FWD);
    s->write = write;
    s->fwd_link = link;
    s->fwd_end = end;
    s->fwd_bytes = c->parser.request_bytes;
    slot_allow_bytes(s, s->fwd_bytes);
    c->fwd_pending++;
    c->fwd_bytes += s->fwd_bytes;
    return 0;
}

void forward_on_reply(uint64_t from, uint64_t sid, buf *reply) {
    client *c = idmap_get(&sessions, 0, sid);
    if (!c || c->fwd_to != from) return;
    slot *s = c->shead;
    while (s && s->state != SLOT_FWD) s = s->next;
    if (!s) return;
    forward_unpend(c, s);
    buf t = s->reply;  /* empty: the reply is taken, not copied */
    s->reply = *reply;
    *reply = t;
    slot_done(s);
}

void forward_on_leader_changed(void) {
    uint64_t l = node_leader();
    for (client *c = client_list(); c; c = c->next)
        if (c->fwd_sid && c->fwd_to != l) forward_end(c);
}

/* ---- leader side: a follower's client, replayed here ---- */

/* Frees the proxies of follower id: those that came on `link`, or all (0);
 * how many. */
static int forward_free_proxies(uint64_t id, uint64_t link) {
    int n = 0;
    for (client *c = client_proxy_list(), *next; c; c = next) {
        next = c->next;
        if (c->proxy_peer == id && (!link || c->proxy_link == link)) client_free(c), n++;
    }
    return n;
}

/* Ends the sessions with id (see end_session for link and unsent_from). */
static void end_sessions_with(uint64_t id, uint64_t link, uint64_t unsent_from) {
    for (client *c = client_list(); c; c = c->next)
        if (c->fwd_sid && c->fwd_to == id) end_session(c, link, unsent_from);
}

/* A link a peer dialled to us closed.
 * - As the leader: the follower's sessions on it ended with it (it starts
 *   new ones on its next connection), even if our link to it is up.
 * - As a follower: the leader answers on the link it dialled, so the
 *   replies it had queued there are lost, and the session's next reply
 *   would answer an earlier request: the sessions end, their owed
 *   requests failing now (writes as of unknown outcome) rather than at
 *   the deadline. A session lives on one link of the leader's. */
void forward_on_link_closed(uint64_t id, uint64_t link) {
    end_sessions_with(id, 0, UINT64_MAX);
    forward_free_proxies(id, link);
}

/* A link a peer dialled to us authenticated (an older one, replaced, has
 * closed just before, and none of this one's frames is read yet). A
 * follower begins sessions only while the leader's link to it is up
 * (peer_linked(), in dispatch) and ends them when it closes, so none
 * should be open here; one that is could not be answered: it ends. */
void forward_on_link_up(uint64_t id) { end_sessions_with(id, 0, UINT64_MAX); }

/* Our link to id closed: what it had not written never reaches id.
 * As the leader: id's proxies go (their replies have no way back), and
 * so do the links id dialled to us, at the next flush, with nothing more
 * read from them. A request still on its way there belongs to a session
 * that ends at id only when id sees its link close: read now, it would
 * start a fresh proxy, and a SET that id sent inside MULTI (its proxy
 * holding the transaction gone) would run on its own. */
void forward_on_peer_down(uint64_t id) {
    uint64_t link, sent = peer_sent_before_down(id, &link);
    end_sessions_with(id, link, sent);
    if (forward_free_proxies(id, 0)) peer_doom_links_from(id);
}

static client *forward_proxy_for(uint64_t from, uint64_t sid) {
    client *c = idmap_get(&proxies, from, sid);
    if (c) return c;
    c = client_new_proxy();
    c->proxy_peer = from;
    c->proxy_sid = sid;
    snprintf(c->addr, sizeof(c->addr), "node%llu:%llu", (unsigned long long)from, (unsigned long long)sid);
    idmap_put(&proxies, from, sid, c);
    return c;
}

static int is_user_tag(const rstr *a) {
    return a->len == strlen(FORWARD_USER_TAG) && !memcmp(a->p, FORWARD_USER_TAG, a->len);
}

/* A request behind others of its session waits in the proxy's input in
 * the entry encoding it came in, its length first: not re-encoded as
 * RESP to be parsed again (forward_take_request() reads it back). */
static void queue_request(client *c, int argc, const rstr *argv) {
    size_t at = c->in.len;
    buf_put_u32(&c->in, 0);
    entry_encode(&c->in, ENTRY_COMMAND, 0, argc, argv);
    set_u32(c->in.data + at, (uint32_t)(c->in.len - at - 4));  /* an entry fits (entry.h) */
}

int forward_take_request(client *c) {
    if (buf_unread(&c->in) < 4) return 0;
    const char *p = c->in.data + c->in.pos;
    uint32_t n = get_u32(p);
    int type;
    uint64_t t;
    rstr *argv;
    int argc = entry_decode(p + 4, n, &type, &t, &argv);  /* encoded above: never -1 */
    resp_args_set(&c->parser, argc > 0 ? argc : 0, argv);
    free(argv);
    c->in.pos += 4 + (size_t)n;
    return 1;
}

void forward_on_request(uint64_t from, uint64_t link, uint64_t sid, uint64_t term, int argc, rstr *argv,
                        buf *payload) {
    client *c = forward_proxy_for(from, sid);
    c->proxy_link = link;
    /* every request still buffered was asked before this one was sent */
    if (term > c->proxy_term) c->proxy_term = term;
    /* the user the follower vouches for ("": none, as from a node that
     * predates client authentication); when it changes, a user request
     * goes into the input first, so that each command runs as the user it
     * was sent for, even behind requests still waiting there */
    rstr user = {(char *)"", 0};
    if (argc >= 1 && is_user_tag(&argv[0])) {
        if (argc >= 2) user = argv[1];
        int skip = argc >= 2 ? 2 : 1;
        argc -= skip;
        argv += skip;
    }
    /* nothing of this session waits: the request goes straight to the
     * parser's hands, its arguments where they came when its frame came
     * in parts (not copied, nor re-encoded as RESP and parsed again on
     * the loop) */
    int idle = !c->held && !c->parsed && buf_unread(&c->in) == 0;
    if (!c->proxy_user || strlen(c->proxy_user) != user.len || memcmp(c->proxy_user, user.p, user.len)) {
        rstr change[2] = {{(char *)FORWARD_USER_TAG, strlen(FORWARD_USER_TAG)}, user};
        if (idle) auth_assume(c, user.p, user.len);
        else queue_request(c, 2, change);
        free(c->proxy_user);
        c->proxy_user = xstrndup(user.p, user.len);
    }
    if (argc > 0 && idle) {
        resp_args_adopt(&c->parser, argc, argv, payload);
        c->parsed = 1;
    } else if (argc > 0) {  /* behind others: in order */
        queue_request(c, argc, argv);
    }
    client_process_input(c);
}

int forward_proxy_user(client *c) {
    if (c->parser.argc != 2 || !is_user_tag(&c->parser.argv[0])) return 0;
    auth_assume(c, c->parser.argv[1].p, c->parser.argv[1].len);
    return 1;
}

void forward_on_close(uint64_t from, uint64_t sid) {
    client *c = idmap_get(&proxies, from, sid);
    if (c) client_free(c);
}

/* Sending closes the link when its send buffer is full, which frees that
 * follower's proxies: c is looked up again, not read. */
int forward_proxy_reply(client *c, buf *reply) {
    uint64_t peer = c->proxy_peer, sid = c->proxy_sid;
    if (buf_unread(reply) > FORWARD_MAX_REPLY) {  /* the follower assembles it in memory */
        size_t n = buf_unread(reply);
        buf_free(reply);
        buf_printf(reply, "-ERR the reply (%zu bytes) is too large to forward: send this command to the "
                   "leader\r\n", n);
    }
    peer_send_forward_reply(peer, sid, reply);
    return idmap_get(&proxies, peer, sid) == c;
}

void forward_client_gone(client *c) {
    /* first: failing its forwarded requests queues the client for output */
    forward_end(c);
    if (c->proxy) idmap_del(&proxies, c->proxy_peer, c->proxy_sid);
}
