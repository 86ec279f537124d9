/* forward: requests that need the leader, sent to it from a follower.
 *
 * Follower side: a client's forwarded requests carry a session id; the
 * leader answers them in order, each into the client's oldest SLOT_FWD.
 * When that order can no longer be trusted (leader changed, link lost, a
 * request timed out) the session ends: its owed replies fail and the next
 * request opens a new one.
 *
 * Leader side: each session is a proxy client (no socket) whose requests
 * take the path of every other client's, and whose replies go back to
 * the follower, one frame each.
 *
 * Users: a follower checks its client's authentication itself (NOAUTH
 * there), and sends each command behind two arguments, FORWARD_USER_TAG
 * and the user it vouches for: the one the client authenticated as, while
 * that user has a password on the follower, else "" (none). The leader
 * runs the command as that user (auth_assume), with its own rules: a
 * named user it knows is authenticated; none (or an unknown name) is a
 * client that has not authenticated, refused NOAUTH if the leader's
 * default user has a password. The password itself never travels, so the
 * leader trusts the follower's check of it: peers are trusted (docs/
 * operations.md, "Security"). A forward without the tag (an older node)
 * names no user. */
#ifndef RAFTKV_FORWARD_H
#define RAFTKV_FORWARD_H
#include <stdint.h>
#include "client.h"
#include "peer.h"
#include "slot.h"

/* A client's forwarded requests still unanswered, in bytes, before the
 * follower stops reading from it (the leader answers in order). */
#define FORWARD_MAX_BYTES (64ULL << 20)
/* The largest reply one frame carries back to a follower. */
#define FORWARD_MAX_REPLY (PEER_MAX_FRAME - 64)
/* The first argument of a forwarded command, before its user's name (no
 * command has this name, and a follower forwards only known commands). */
#define FORWARD_USER_TAG "@user"

void forward_init(void);
void forward_free(void);

/* Follower: sends c's parsed request to leader in c's session (opened if
 * need be) and owes its reply in a SLOT_FWD; -1 if it could not be sent. */
/* The user this node vouches for to the leader: the one c authenticated
 * as, while that user has a password here; else "" (the leader then takes
 * the client as a new connection of its own). */
const char *forward_vouched_user(const client *c);
int forward_request(client *c, uint64_t leader, int write, int argc, rstr *argv);
/* Ends c's session, if any: its forwarded requests fail. */
void forward_end(client *c);
/* A SLOT_FWD slot no longer waits. */
void forward_detach(slot *s);
/* c is being freed: its session ends, a proxy is forgotten. */
void forward_client_gone(client *c);
/* Leader: the next request waiting in proxy c's input into c->parser
 * (its copy of the arguments); 0 if none waits. */
int forward_take_request(client *c);
/* Leader: if the request parsed in proxy c says which user its next
 * requests run as (queued by forward_on_request), takes it and 1. */
int forward_proxy_user(client *c);
/* Leader: sends a proxy's reply to its follower; 0 if that freed c. */
int forward_proxy_reply(client *c, buf *reply);

/* node callbacks */
/* A request: when payload is not NULL (a frame joined from parts), its
 * arguments are taken in place from it (resp_args_adopt); else copied. */
void forward_on_request(uint64_t from, uint64_t link, uint64_t sid, uint64_t term, int argc, rstr *argv,
                        buf *payload);
/* A reply from the leader: its bytes are taken (reply is left empty). */
void forward_on_reply(uint64_t from, uint64_t sid, buf *reply);
void forward_on_close(uint64_t from, uint64_t sid);
void forward_on_peer_down(uint64_t id);
void forward_on_link_closed(uint64_t id, uint64_t link);
void forward_on_link_up(uint64_t id);
void forward_on_leader_changed(void);
#endif
