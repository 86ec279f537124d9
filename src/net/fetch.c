#include "fetch.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fetch_job {
    fetch_fn *run;
    void *arg;
    buf reply;
    fetch_done *done;
    void *ctx;             /* NULL once cancelled (the loop's only) */
    struct fetch_job *next;
};

static struct {
    struct ev_loop *loop;
    ev_async wake;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;
    fetch_job *todo, *todo_tail, *done;  /* under mu */
    buf spent;         /* under mu: replies the loop is through with (char *s), to free here */
    buf freeing;       /* the thread's: spent, swapped out, being freed */
    buf gone;          /* the loop's: replies to add to spent */
    int stop, running;
} F;

static void push(fetch_job **head, fetch_job **tail, fetch_job *j) {
    j->next = NULL;
    if (tail && *tail) (*tail)->next = j; else if (tail) *head = j;
    if (tail) *tail = j;
    else { j->next = *head; *head = j; }
}

static void free_spent(buf *b) {
    for (size_t i = 0; i < b->len; i += sizeof(char *)) {
        char *p;
        memcpy(&p, b->data + i, sizeof(p));
        free(p);
    }
    b->len = 0;
}

/* A job's reply is freed on this thread, which allocated it: a free on
 * the loop takes glibc's lock of this thread's arena, which this thread
 * holds for its own allocations (measured, LRANGE 100 of 3 bytes through
 * a release leader: 17% of the loop's CPU in freeing finished jobs, most
 * of it waiting for that lock). */
static void *fetch_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&F.mu);
    for (;;) {
        while (!F.todo && !F.spent.len && !F.stop) pthread_cond_wait(&F.work, &F.mu);
        if (F.spent.len) {
            buf t = F.spent;  /* the arrays trade places (the loop grows them): none is freed across threads */
            F.spent = F.freeing;
            F.freeing = t;
            pthread_mutex_unlock(&F.mu);
            free_spent(&F.freeing);
            pthread_mutex_lock(&F.mu);
            continue;
        }
        if (!F.todo) break;
        fetch_job *j = F.todo;
        F.todo = j->next;
        if (!F.todo) F.todo_tail = NULL;
        pthread_mutex_unlock(&F.mu);
        j->run(j->arg, &j->reply);
        pthread_mutex_lock(&F.mu);
        push(&F.done, NULL, j);
        ev_async_send(F.loop, &F.wake);
    }
    pthread_mutex_unlock(&F.mu);
    return NULL;
}

/* j's caller told; its reply is left for the thread (F.gone, then spent). */
static void job_free(fetch_job *j) {
    j->done(j->ctx, j->arg, &j->reply);  /* frees arg, on the loop (views and pins are the loop's) */
    if (j->reply.data) buf_append(&F.gone, (const char *)&j->reply.data, sizeof(j->reply.data));
    free(j);
}

static void wake_cb(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop; (void)w; (void)revents;
    pthread_mutex_lock(&F.mu);
    fetch_job *list = F.done;
    F.done = NULL;
    pthread_mutex_unlock(&F.mu);
    fetch_job *rev = NULL;  /* pushed at the head: back to the order they ran */
    while (list) {
        fetch_job *j = list;
        list = j->next;
        j->next = rev;
        rev = j;
    }
    while (rev) {
        fetch_job *j = rev;
        rev = j->next;
        job_free(j);
    }
    if (!F.gone.len) return;
    pthread_mutex_lock(&F.mu);
    if (!F.spent.len) {  /* the usual case: the arrays trade places, nothing copied under the lock */
        buf t = F.spent;
        F.spent = F.gone;
        F.gone = t;
    } else {
        buf_append(&F.spent, F.gone.data, F.gone.len);
    }
    pthread_cond_signal(&F.work);
    pthread_mutex_unlock(&F.mu);
    F.gone.len = 0;
}

void fetch_init(struct ev_loop *loop) {
    memset(&F, 0, sizeof(F));
    F.loop = loop;
    pthread_mutex_init(&F.mu, NULL);
    pthread_cond_init(&F.work, NULL);
    ev_async_init(&F.wake, wake_cb);
    ev_async_start(loop, &F.wake);
    pthread_create(&F.thread, NULL, fetch_main, NULL);
    F.running = 1;
}

/* The clients are gone: the jobs left end cancelled. */
void fetch_free(void) {
    if (!F.running) return;
    pthread_mutex_lock(&F.mu);
    F.stop = 1;
    pthread_cond_signal(&F.work);
    pthread_mutex_unlock(&F.mu);
    pthread_join(F.thread, NULL);
    ev_async_stop(F.loop, &F.wake);
    for (fetch_job *j = F.done, *n; j; j = n) {
        n = j->next;
        j->ctx = NULL;
        job_free(j);
    }
    free_spent(&F.gone);
    free_spent(&F.spent);
    buf_free(&F.gone);
    buf_free(&F.spent);
    buf_free(&F.freeing);
    pthread_mutex_destroy(&F.mu);
    pthread_cond_destroy(&F.work);
    F.running = 0;
}

fetch_job *fetch_start(fetch_fn *run, void *arg, fetch_done *done, void *ctx) {
    fetch_job *j = xmalloc(sizeof(*j));
    memset(j, 0, sizeof(*j));
    j->run = run;
    j->arg = arg;
    j->done = done;
    j->ctx = ctx;
    pthread_mutex_lock(&F.mu);
    push(&F.todo, &F.todo_tail, j);
    pthread_cond_signal(&F.work);
    pthread_mutex_unlock(&F.mu);
    return j;
}

void fetch_cancel(fetch_job *j) { j->ctx = NULL; }
