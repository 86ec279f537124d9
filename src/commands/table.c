/* The command table: every command raftkv serves, one row each, in the
 * order COMMAND lists them. A row names the handler (handlers.h for the
 * data families, cmd.h for the server-level ones), the Redis arity and
 * flags, the key positions (first, last, step: what a cluster client
 * routes on) and the docs COMMAND DOCS returns. Container commands
 * (CLIENT, CONFIG, COMMAND, RAFT.NODE) point to a table of subcommands. */
#include "handlers.h"
#include "tx.h"

/* name, arity, flags, first key, last key, key step, handler, group, since, summary, complexity */
#define ROW(name, arity, flags, first, last, step, proc, group, since, summary, complexity) \
    {name, arity, flags, first, last, step, 0, proc, NULL, group, since, summary, complexity, 0, 0, 0, 0}
/* A command whose keys follow a count at argv[keynum] (Redis's movablekeys). */
#define ROWK(name, arity, flags, first, last, step, keynum, proc, group, since, summary, complexity) \
    {name, arity, flags, first, last, step, keynum, proc, NULL, group, since, summary, complexity, 0, 0, 0, 0}
/* A container: no keys; its own proc, if any, runs what no subcommand names. */
#define PARENT(name, arity, flags, proc, subs, group, since, summary, complexity) \
    {name, arity, flags, 0, 0, 0, 0, proc, subs, group, since, summary, complexity, 0, 0, 0, 0}
#define END {NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0}

#define W (CMD_WRITE)
#define R (CMD_READONLY)
#define F (CMD_FAST)
#define D (CMD_DENYOOM)
#define S "string"
#define B "bitmap"
#define H "hash"
#define SE "set"
#define L "list"
#define Z "sorted-set"
#define NS CMD_NOSCRIPT
#define BL CMD_BLOCKING
#define K "generic"
#define C "connection"
#define V "server"
#define T "transactions"

static const command client_subs[] = {
    ROW("id", 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, C, "5.0.0", "Returns the unique client ID of the connection.", "O(1)"),
    ROW("setname", 3, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, C, "2.6.9", "Sets the connection name.", "O(1)"),
    ROW("getname", 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, C, "2.6.9", "Returns the name of the connection.", "O(1)"),
    ROW("list", -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, C, "2.4.0", "Lists open connections.", "O(N) where N is the number of client connections"),
    ROW("info", 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, C, "6.2.0", "Returns information about the connection.", "O(1)"),
    ROW("kill", -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, C, "2.4.0", "Terminates open connections.", "O(N) where N is the number of client connections"),
    ROW("help", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, client_command, C, "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static const command config_subs[] = {
    ROW("get", -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, config_command, V, "2.0.0", "Returns the effective values of configuration parameters.", "O(N) when N is the number of configuration parameters provided"),
    ROW("set", -4, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, config_command, V, "2.0.0", "Sets configuration parameters in-flight.", "O(N) when N is the number of configuration parameters provided"),
    ROW("resetstat", 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, config_command, V, "2.0.0", "Resets the server's statistics.", "O(1)"),
    ROW("help", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, config_command, V, "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static const command object_subs[] = {
    ROW("encoding", 3, R, 2, 2, 1, object_command, K, "2.2.3", "Inspect the internal encoding of a Redis object", "O(1)"),
    ROW("freq", 3, R, 2, 2, 1, object_command, K, "4.0.0", "Get the logarithmic access frequency counter of a Redis object", "O(1)"),
    ROW("idletime", 3, R, 2, 2, 1, object_command, K, "2.2.3", "Get the time since a Redis object was last accessed", "O(1)"),
    ROW("refcount", 3, R, 2, 2, 1, object_command, K, "2.2.3", "Get the number of references to the value of the key", "O(1)"),
    ROW("help", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, object_command, K, "6.2.0", "Show helpful text about the different subcommands", "O(1)"),
    END,
};

static const command acl_subs[] = {
    ROW("cat", -2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "List the ACL categories or the commands inside a category", "O(1) since the categories and commands are a fixed set."),
    ROW("deluser", -3, CMD_WRITE | CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_deluser_command, V, "6.0.0", "Remove the specified ACL users and the associated rules", "O(1) amortized time considering the typical user."),
    ROW("dryrun", -4, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "7.0.0", "Returns whether the user can execute the given command without executing the command.", "O(1)."),
    ROW("genpass", -2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "Generate a pseudorandom secure password to use for ACL users", "O(1)"),
    ROW("getuser", 3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "Get the rules for a specific ACL user", "O(N). Where N is the number of password, command and pattern rules that the user has."),
    ROW("list", 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "List the current ACL rules in ACL config file format", "O(N). Where N is the number of configured users."),
    ROW("load", 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "Reload the ACLs from the configured ACL file", "O(N). Where N is the number of configured users."),
    ROW("log", -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "List latest events denied because of ACLs in place", "O(N) with N being the number of entries shown."),
    ROW("save", 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "Save the current ACL rules in the configured ACL file", "O(N). Where N is the number of configured users."),
    ROW("setuser", -3, CMD_WRITE | CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_setuser_command, V, "6.0.0", "Modify or create the rules for a specific ACL user", "O(N). Where N is the number of rules provided."),
    ROW("users", 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "List the username of all the configured ACL rules", "O(N). Where N is the number of configured users."),
    ROW("whoami", 2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "Return the name of the user associated to the current connection", "O(1)"),
    ROW("help", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, acl_command, V, "6.0.0", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static const command raft_node_subs[] = {
    ROW("add", 4, CMD_LEADER | CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, raft_node_add_command, "server", "0.5.0", "Adds a node to the cluster as a learner; it becomes a voter once it has caught up.", "O(1)"),
    ROW("remove", 3, CMD_LEADER | CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, raft_node_remove_command, "server", "0.5.0", "Removes a node (voter, learner or the leader) from the cluster.", "O(1)"),
    END,
};

static const command command_subs[] = {
    ROW("count", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, V, "2.8.13", "Returns a count of commands.", "O(1)"),
    ROW("info", -2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, V, "2.8.13", "Returns information about one, multiple or all commands.", "O(N) where N is the number of commands to look up"),
    ROW("docs", -2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, V, "7.0.0", "Returns documentary information about one, multiple or all commands.", "O(N) where N is the number of commands to look up"),
    ROW("list", -2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, V, "7.0.0", "Returns a list of command names.", "O(N) where N is the total number of Redis commands"),
    ROW("help", 2, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, command_command, V, "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static command table[] = {
    ROW("get", 2, R | F, 1, 1, 1, get_command, S, "1.0.0", "Returns the string value of a key.", "O(1)"),
    ROW("set", -3, W | D, 1, 1, 1, set_command, S, "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "O(1)"),
    ROW("setnx", 3, W | D | F, 1, 1, 1, setnx_command, S, "1.0.0", "Set the string value of a key only when the key doesn't exist.", "O(1)"),
    ROW("getset", 3, W | D | F, 1, 1, 1, getset_command, S, "1.0.0", "Returns the previous string value of a key after setting it to a new value.", "O(1)"),
    ROW("getdel", 2, W | F, 1, 1, 1, getdel_command, S, "6.2.0", "Returns the string value of a key after deleting the key.", "O(1)"),
    ROW("mget", -2, R | F | CMD_SLICED, 1, -1, 1, mget_command, S, "1.0.0", "Atomically returns the string values of one or more keys.", "O(N) where N is the number of keys to retrieve."),
    ROW("mset", -3, W | D, 1, -1, 2, mset_command, S, "1.0.1", "Atomically creates or modifies the string values of one or more keys.", "O(N) where N is the number of keys to set."),
    ROW("msetnx", -3, W | D, 1, -1, 2, msetnx_command, S, "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "O(N) where N is the number of keys to set."),
    ROW("del", -2, W | CMD_NO_TOUCH, 1, -1, 1, del_command, K, "1.0.0", "Deletes one or more keys.", "O(N) where N is the number of keys that will be removed."),
    ROW("unlink", -2, W | F | CMD_NO_TOUCH, 1, -1, 1, del_command, K, "4.0.0", "Asynchronously deletes one or more keys.", "O(1) for each key removed regardless of its size."),
    ROW("exists", -2, R | F | CMD_SLICED | CMD_NO_TOUCH, 1, -1, 1, exists_command, K, "1.0.0", "Determines whether one or more keys exist.", "O(N) where N is the number of keys to check."),
    ROW("incr", 2, W | D | F, 1, 1, 1, incr_command, S, "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    ROW("decr", 2, W | D | F, 1, 1, 1, decr_command, S, "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    ROW("incrby", 3, W | D | F, 1, 1, 1, incrby_command, S, "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    ROW("decrby", 3, W | D | F, 1, 1, 1, decrby_command, S, "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    ROW("incrbyfloat", 3, W | D | F, 1, 1, 1, incrbyfloat_command, S, "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    ROW("append", 3, W | D | F, 1, 1, 1, append_command, S, "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "O(1)"),
    ROW("strlen", 2, R | F, 1, 1, 1, strlen_command, S, "2.2.0", "Returns the length of a string value.", "O(1)"),
    ROW("getrange", 4, R, 1, 1, 1, getrange_command, S, "2.4.0", "Returns a substring of the string stored at a key.", "O(N) where N is the length of the returned string."),
    ROW("substr", 4, R, 1, 1, 1, getrange_command, S, "1.0.0", "Returns a substring from a string value.", "O(N) where N is the length of the returned string."),
    ROW("setrange", 4, W | D, 1, 1, 1, setrange_command, S, "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "O(1)"),
    ROW("setbit", 4, W | D, 1, 1, 1, setbit_command, B, "2.2.0", "Sets or clears the bit at offset in the string value stored at key", "O(1)"),
    ROW("getbit", 3, R | F, 1, 1, 1, getbit_command, B, "2.2.0", "Returns the bit value at offset in the string value stored at key", "O(1)"),
    ROW("bitcount", -2, R, 1, 1, 1, bitcount_command, B, "2.6.0", "Count set bits in a string", "O(N)"),
    ROW("bitpos", -3, R, 1, 1, 1, bitpos_command, B, "2.8.7", "Find first bit set or clear in a string", "O(N)"),
    ROW("bitop", -4, W | D, 2, -1, 1, bitop_command, B, "2.6.0", "Perform bitwise operations between strings", "O(N)"),
    ROW("bitfield", -2, W | D, 1, 1, 1, bitfield_command, B, "3.2.0", "Perform arbitrary bitfield integer operations on strings", "O(1) for each subcommand specified"),
    ROW("bitfield_ro", -2, R | F, 1, 1, 1, bitfield_ro_command, B, "6.0.0", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "O(1) for each subcommand specified"),
    ROW("hset", -4, W | D | F, 1, 1, 1, hset_command, H, "2.0.0", "Set the string value of a hash field", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs."),
    ROW("hsetnx", 4, W | D | F, 1, 1, 1, hsetnx_command, H, "2.0.0", "Set the value of a hash field, only if the field does not exist", "O(1)"),
    ROW("hmset", -4, W | D | F, 1, 1, 1, hmset_command, H, "2.0.0", "Set multiple hash fields to multiple values", "O(N) where N is the number of fields being set."),
    ROW("hget", 3, R | F, 1, 1, 1, hget_command, H, "2.0.0", "Get the value of a hash field", "O(1)"),
    ROW("hmget", -3, R | F, 1, 1, 1, hmget_command, H, "2.0.0", "Get the values of all the given hash fields", "O(N) where N is the number of fields being requested."),
    ROW("hgetall", 2, R | CMD_OFF_LOOP, 1, 1, 1, hgetall_command, H, "2.0.0", "Get all the fields and values in a hash", "O(N) where N is the size of the hash."),
    ROW("hkeys", 2, R | CMD_OFF_LOOP, 1, 1, 1, hkeys_command, H, "2.0.0", "Get all the fields in a hash", "O(N) where N is the size of the hash."),
    ROW("hvals", 2, R | CMD_OFF_LOOP, 1, 1, 1, hvals_command, H, "2.0.0", "Get all the values in a hash", "O(N) where N is the size of the hash."),
    ROW("hlen", 2, R | F, 1, 1, 1, hlen_command, H, "2.0.0", "Get the number of fields in a hash", "O(1)"),
    ROW("hexists", 3, R | F, 1, 1, 1, hexists_command, H, "2.0.0", "Determine if a hash field exists", "O(1)"),
    ROW("hdel", -3, W | F | CMD_PROBE, 1, 1, 1, hdel_command, H, "2.0.0", "Delete one or more hash fields", "O(N) where N is the number of fields to be removed."),
    ROW("hincrby", 4, W | D | F, 1, 1, 1, hincrby_command, H, "2.0.0", "Increment the integer value of a hash field by the given number", "O(1)"),
    ROW("hincrbyfloat", 4, W | D | F, 1, 1, 1, hincrbyfloat_command, H, "2.6.0", "Increment the float value of a hash field by the given amount", "O(1)"),
    ROW("hstrlen", 3, R | F, 1, 1, 1, hstrlen_command, H, "3.2.0", "Get the length of the value of a hash field", "O(1)"),
    ROW("hrandfield", -2, R | CMD_OFF_LOOP, 1, 1, 1, hrandfield_command, H, "6.2.0", "Get one or multiple random fields from a hash", "O(N) where N is the number of fields returned"),
    ROW("hscan", -3, R, 1, 1, 1, hscan_command, H, "2.8.0", "Incrementally iterate hash fields and associated values", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."),
    ROW("sadd", -3, W | D | F | CMD_PROBE, 1, 1, 1, sadd_command, SE, "1.0.0", "Add one or more members to a set", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."),
    ROW("srem", -3, W | F | CMD_PROBE, 1, 1, 1, srem_command, SE, "1.0.0", "Remove one or more members from a set", "O(N) where N is the number of members to be removed."),
    ROW("smembers", 2, R | CMD_OFF_LOOP, 1, 1, 1, smembers_command, SE, "1.0.0", "Get all the members in a set", "O(N) where N is the set cardinality."),
    ROW("sismember", 3, R | F, 1, 1, 1, sismember_command, SE, "1.0.0", "Determine if a given value is a member of a set", "O(1)"),
    ROW("smismember", -3, R | F, 1, 1, 1, smismember_command, SE, "6.2.0", "Returns the membership associated with the given elements for a set", "O(N) where N is the number of elements being checked for membership"),
    ROW("scard", 2, R | F, 1, 1, 1, scard_command, SE, "1.0.0", "Get the number of members in a set", "O(1)"),
    ROW("spop", -2, W | F | CMD_PROBE, 1, 1, 1, spop_command, SE, "1.0.0", "Remove and return one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count."),
    ROW("srandmember", -2, R | CMD_OFF_LOOP, 1, 1, 1, srandmember_command, SE, "1.0.0", "Get one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count."),
    ROW("smove", 4, W | F, 1, 2, 1, smove_command, SE, "1.0.0", "Move a member from one set to another", "O(1)"),
    ROW("sinter", -2, R | CMD_OFF_LOOP, 1, -1, 1, sinter_command, SE, "1.0.0", "Intersect multiple sets", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    ROW("sunion", -2, R | CMD_OFF_LOOP, 1, -1, 1, sunion_command, SE, "1.0.0", "Add multiple sets", "O(N) where N is the total number of elements in all given sets."),
    ROW("sdiff", -2, R | CMD_OFF_LOOP, 1, -1, 1, sdiff_command, SE, "1.0.0", "Subtract multiple sets", "O(N) where N is the total number of elements in all given sets."),
    ROW("sinterstore", -3, W | D, 1, -1, 1, sinterstore_command, SE, "1.0.0", "Intersect multiple sets and store the resulting set in a key", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    ROW("sunionstore", -3, W | D, 1, -1, 1, sunionstore_command, SE, "1.0.0", "Add multiple sets and store the resulting set in a key", "O(N) where N is the total number of elements in all given sets."),
    ROW("sdiffstore", -3, W | D, 1, -1, 1, sdiffstore_command, SE, "1.0.0", "Subtract multiple sets and store the resulting set in a key", "O(N) where N is the total number of elements in all given sets."),
    ROWK("sintercard", -3, R | CMD_OFF_LOOP, 0, 0, 0, 1, sintercard_command, SE, "7.0.0", "Intersect multiple sets and return the cardinality of the result", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    ROW("sscan", -3, R, 1, 1, 1, sscan_command, SE, "2.8.0", "Incrementally iterate Set elements", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."),
    ROW("lpush", -3, W | D | F, 1, 1, 1, lpush_command, L, "1.0.0", "Prepend one or multiple elements to a list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."),
    ROW("rpush", -3, W | D | F, 1, 1, 1, rpush_command, L, "1.0.0", "Append one or multiple elements to a list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."),
    ROW("lpushx", -3, W | D | F, 1, 1, 1, lpushx_command, L, "2.2.0", "Prepend an element to a list, only if the list exists", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."),
    ROW("rpushx", -3, W | D | F, 1, 1, 1, rpushx_command, L, "2.2.0", "Append an element to a list, only if the list exists", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."),
    ROW("lpop", -2, W | F, 1, 1, 1, lpop_command, L, "1.0.0", "Remove and get the first elements in a list", "O(N) where N is the number of elements returned"),
    ROW("rpop", -2, W | F, 1, 1, 1, rpop_command, L, "1.0.0", "Remove and get the last elements in a list", "O(N) where N is the number of elements returned"),
    ROW("llen", 2, R | F, 1, 1, 1, llen_command, L, "1.0.0", "Get the length of a list", "O(1)"),
    ROW("lindex", 3, R, 1, 1, 1, lindex_command, L, "1.0.0", "Get an element from a list by its index", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1)."),
    ROW("lrange", 4, R | CMD_OFF_LOOP, 1, 1, 1, lrange_command, L, "1.0.0", "Get a range of elements from a list", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range."),
    ROW("lset", 4, W | D, 1, 1, 1, lset_command, L, "1.0.0", "Set the value of an element in a list by its index", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1)."),
    ROW("ltrim", 4, W, 1, 1, 1, ltrim_command, L, "1.0.0", "Trim a list to the specified range", "O(N) where N is the number of elements to be removed by the operation."),
    ROW("lrem", 4, W, 1, 1, 1, lrem_command, L, "1.0.0", "Remove elements from a list", "O(N+M) where N is the length of the list and M is the number of elements removed."),
    ROW("linsert", 5, W | D, 1, 1, 1, linsert_command, L, "2.2.0", "Insert an element before or after another element in a list", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N)."),
    ROW("lpos", -3, R | CMD_OFF_LOOP, 1, 1, 1, lpos_command, L, "6.0.6", "Return the index of matching elements on a list", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time."),
    ROW("lmove", 5, W | D, 1, 2, 1, lmove_command, L, "6.2.0", "Pop an element from a list, push it to another list and return it", "O(1)"),
    ROW("rpoplpush", 3, W | D, 1, 2, 1, rpoplpush_command, L, "1.2.0", "Remove the last element in a list, prepend it to another list and return it", "O(1)"),
    ROWK("lmpop", -4, W, 0, 0, 0, 1, lmpop_command, L, "7.0.0", "Pop elements from a list", "O(N+M) where N is the number of provided keys and M is the number of elements returned."),
    ROW("blpop", -3, W | NS | BL, 1, -2, 1, blpop_command, L, "2.0.0", "Remove and get the first element in a list, or block until one is available", "O(N) where N is the number of provided keys."),
    ROW("brpop", -3, W | NS | BL, 1, -2, 1, brpop_command, L, "2.0.0", "Remove and get the last element in a list, or block until one is available", "O(N) where N is the number of provided keys."),
    ROWK("blmpop", -5, W | BL, 0, 0, 0, 2, blmpop_command, L, "7.0.0", "Pop elements from a list, or block until one is available", "O(N+M) where N is the number of provided keys and M is the number of elements returned."),
    ROW("brpoplpush", 4, W | D | NS | BL, 1, 2, 1, brpoplpush_command, L, "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", "O(1)"),
    ROW("blmove", 6, W | D | NS | BL, 1, 2, 1, blmove_command, L, "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", "O(1)"),
    ROW("zadd", -4, W | D | F | CMD_PROBE, 1, 1, 1, zadd_command, Z, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", "O(log(N)) for each item added, where N is the number of elements in the sorted set."),
    ROW("zincrby", 4, W | D | F, 1, 1, 1, zincrby_command, Z, "1.2.0", "Increment the score of a member in a sorted set", "O(log(N)) where N is the number of elements in the sorted set."),
    ROW("zrem", -3, W | F | CMD_PROBE, 1, 1, 1, zrem_command, Z, "1.2.0", "Remove one or more members from a sorted set", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed."),
    ROW("zcard", 2, R | F, 1, 1, 1, zcard_command, Z, "1.2.0", "Get the number of members in a sorted set", "O(1)"),
    ROW("zscore", 3, R | F, 1, 1, 1, zscore_command, Z, "1.2.0", "Get the score associated with the given member in a sorted set", "O(1)"),
    ROW("zmscore", -3, R | F, 1, 1, 1, zmscore_command, Z, "6.2.0", "Get the score associated with the given members in a sorted set", "O(N) where N is the number of members being requested."),
    ROW("zrank", 3, R | CMD_OFF_LOOP | F, 1, 1, 1, zrank_command, Z, "2.0.0", "Determine the index of a member in a sorted set", "O(log(N))"),
    ROW("zrevrank", 3, R | CMD_OFF_LOOP | F, 1, 1, 1, zrevrank_command, Z, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", "O(log(N))"),
    ROW("zrange", -4, R | CMD_OFF_LOOP, 1, 1, 1, zrange_command, Z, "1.2.0", "Return a range of members in a sorted set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."),
    ROW("zrevrange", -4, R | CMD_OFF_LOOP, 1, 1, 1, zrevrange_command, Z, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."),
    ROW("zrangebyscore", -4, R | CMD_OFF_LOOP, 1, 1, 1, zrangebyscore_command, Z, "1.0.5", "Return a range of members in a sorted set, by score", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."),
    ROW("zrevrangebyscore", -4, R | CMD_OFF_LOOP, 1, 1, 1, zrevrangebyscore_command, Z, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."),
    ROW("zrangebylex", -4, R | CMD_OFF_LOOP, 1, 1, 1, zrangebylex_command, Z, "2.8.9", "Return a range of members in a sorted set, by lexicographical range", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."),
    ROW("zrevrangebylex", -4, R | CMD_OFF_LOOP, 1, 1, 1, zrevrangebylex_command, Z, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."),
    ROW("zrangestore", -5, W | D, 1, 2, 1, zrangestore_command, Z, "6.2.0", "Store a range of members from sorted set into another key", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key."),
    ROW("zcount", 4, R | CMD_OFF_LOOP | F, 1, 1, 1, zcount_command, Z, "2.0.0", "Count the members in a sorted set with scores within the given values", "O(log(N)) with N being the number of elements in the sorted set."),
    ROW("zlexcount", 4, R | CMD_OFF_LOOP | F, 1, 1, 1, zlexcount_command, Z, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", "O(log(N)) with N being the number of elements in the sorted set."),
    ROW("zremrangebyrank", 4, W, 1, 1, 1, zremrangebyrank_command, Z, "2.0.0", "Remove all members in a sorted set within the given indexes", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    ROW("zremrangebyscore", 4, W, 1, 1, 1, zremrangebyscore_command, Z, "1.2.0", "Remove all members in a sorted set within the given scores", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    ROW("zremrangebylex", 4, W, 1, 1, 1, zremrangebylex_command, Z, "2.8.9", "Remove all members in a sorted set between the given lexicographical range", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    ROW("zpopmin", -2, W | F | CMD_PROBE, 1, 1, 1, zpopmin_command, Z, "5.0.0", "Remove and return members with the lowest scores in a sorted set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."),
    ROW("zpopmax", -2, W | F | CMD_PROBE, 1, 1, 1, zpopmax_command, Z, "5.0.0", "Remove and return members with the highest scores in a sorted set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."),
    ROW("zrandmember", -2, R | CMD_OFF_LOOP, 1, 1, 1, zrandmember_command, Z, "6.2.0", "Get one or multiple random elements from a sorted set", "O(N) where N is the number of elements returned"),
    ROW("zscan", -3, R, 1, 1, 1, zscan_command, Z, "2.8.0", "Incrementally iterate sorted sets elements and associated scores", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."),
    ROWK("zmpop", -4, W, 0, 0, 0, 1, zmpop_command, Z, "7.0.0", "Remove and return members with scores in a sorted set", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."),
    ROW("bzpopmin", -3, W | NS | BL | F, 1, -2, 1, bzpopmin_command, Z, "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "O(log(N)) with N being the number of elements in the sorted set."),
    ROW("bzpopmax", -3, W | NS | BL | F, 1, -2, 1, bzpopmax_command, Z, "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "O(log(N)) with N being the number of elements in the sorted set."),
    ROWK("bzmpop", -5, W | BL, 0, 0, 0, 2, bzmpop_command, Z, "7.0.0", "Remove and return members with scores in a sorted set or block until one is available", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."),
    ROWK("zunionstore", -4, W | D, 1, 1, 1, 2, zunionstore_command, Z, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."),
    ROWK("zinterstore", -4, W | D, 1, 1, 1, 2, zinterstore_command, Z, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."),
    ROWK("zdiffstore", -4, W | D, 1, 1, 1, 2, zdiffstore_command, Z, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."),
    ROWK("zunion", -3, R | CMD_OFF_LOOP, 0, 0, 0, 1, zunion_command, Z, "6.2.0", "Add multiple sorted sets", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."),
    ROWK("zinter", -3, R | CMD_OFF_LOOP, 0, 0, 0, 1, zinter_command, Z, "6.2.0", "Intersect multiple sorted sets", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."),
    ROWK("zdiff", -3, R | CMD_OFF_LOOP, 0, 0, 0, 1, zdiff_command, Z, "6.2.0", "Subtract multiple sorted sets", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."),
    ROWK("zintercard", -3, R | CMD_OFF_LOOP, 0, 0, 0, 1, zintercard_command, Z, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets."),
    ROW("lcs", -3, R | CMD_OFF_LOOP, 1, 2, 1, lcs_command, S, "7.0.0", "Find longest common substring", "O(N*M) where N and M are the lengths of s1 and s2, respectively"),
    ROW("setex", 4, W | D, 1, 1, 1, setex_command, S, "2.0.0", "Set the value and expiration of a key", "O(1)"),
    ROW("psetex", 4, W | D, 1, 1, 1, psetex_command, S, "2.6.0", "Set the value and expiration in milliseconds of a key", "O(1)"),
    ROW("getex", -2, W | F, 1, 1, 1, getex_command, S, "6.2.0", "Get the value of a key and optionally set its expiration", "O(1)"),
    ROW("expire", -3, W | F, 1, 1, 1, expire_command, K, "1.0.0", "Set a key's time to live in seconds", "O(1)"),
    ROW("pexpire", -3, W | F, 1, 1, 1, pexpire_command, K, "2.6.0", "Set a key's time to live in milliseconds", "O(1)"),
    ROW("expireat", -3, W | F, 1, 1, 1, expireat_command, K, "1.2.0", "Set the expiration for a key as a UNIX timestamp", "O(1)"),
    ROW("pexpireat", -3, W | F, 1, 1, 1, pexpireat_command, K, "2.6.0", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "O(1)"),
    ROW("persist", 2, W | F, 1, 1, 1, persist_command, K, "2.2.0", "Remove the expiration from a key", "O(1)"),
    ROW("ttl", 2, R | F | CMD_NO_TOUCH, 1, 1, 1, ttl_command, K, "1.0.0", "Get the time to live for a key in seconds", "O(1)"),
    ROW("pttl", 2, R | F | CMD_NO_TOUCH, 1, 1, 1, pttl_command, K, "2.6.0", "Get the time to live for a key in milliseconds", "O(1)"),
    ROW("expiretime", 2, R | F | CMD_NO_TOUCH, 1, 1, 1, expiretime_command, K, "7.0.0", "Get the expiration Unix timestamp for a key", "O(1)"),
    ROW("pexpiretime", 2, R | F | CMD_NO_TOUCH, 1, 1, 1, pexpiretime_command, K, "7.0.0", "Get the expiration Unix timestamp for a key in milliseconds", "O(1)"),
    ROW("multi", 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | F | CMD_NOKEYS, 0, 0, 0, tx_front_command, T, "1.2.0", "Mark the start of a transaction block", "O(1)"),
    ROW("exec", 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, exec_command, T, "1.2.0", "Execute all commands issued after MULTI", "Depends on commands in the transaction"),
    ROW("discard", 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | F | CMD_NOKEYS, 0, 0, 0, tx_front_command, T, "2.0.0", "Discard all commands issued after MULTI", "O(N), when N is the number of queued commands"),
    ROW("watch", -2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | F | CMD_NO_TOUCH, 1, -1, 1, watch_command, T, "2.2.0", "Watch the given keys to determine execution of the MULTI/EXEC block", "O(1) for every key."),
    ROW("unwatch", 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | F | CMD_NOKEYS, 0, 0, 0, unwatch_command, T, "2.2.0", "Forget about all watched keys", "O(1)"),
    ROW("touch", -2, R | F, 1, -1, 1, touch_command, K, "3.2.1", "Alters the last access time of a key(s). Returns the number of existing keys specified.", "O(N) where N is the number of keys that will be touched."),
    ROW("rename", 3, W, 1, 2, 1, rename_command, K, "1.0.0", "Rename a key", "O(1)"),
    ROW("renamenx", 3, W | F, 1, 2, 1, renamenx_command, K, "1.0.0", "Rename a key, only if the new key does not exist", "O(1)"),
    ROW("copy", -3, W | D, 1, 2, 1, copy_command, K, "6.2.0", "Copy a key", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values."),
    PARENT("object", -2, CMD_NOKEYS, NULL, object_subs, K, "2.2.3", "A container for object introspection commands", "Depends on subcommand."),
    ROW("type", 2, R | F | CMD_NO_TOUCH, 1, 1, 1, type_command, K, "1.0.0", "Determines the type of value stored at a key.", "O(1)"),
    ROW("dbsize", 1, R | F | CMD_NOKEYS, 0, 0, 0, dbsize_command, V, "1.0.0", "Returns the number of keys in the database.", "O(1)"),
    ROW("keys", 2, R | CMD_NOKEYS | CMD_SLICED, 0, 0, 0, keys_command, K, "1.0.0", "Returns all key names that match a pattern.", "O(N) with N being the number of keys in the database"),
    ROW("scan", -2, R | CMD_NOKEYS, 0, 0, 0, scan_command, K, "2.8.0", "Iterates over the key names in the database.", "O(1) for every call. O(N) for a complete iteration."),
    ROW("randomkey", 1, R | CMD_NOKEYS, 0, 0, 0, randomkey_command, K, "1.0.0", "Returns a random key name from the database.", "O(1)"),
    ROW("flushdb", -1, W | CMD_NOKEYS, 0, 0, 0, flushdb_command, V, "1.0.0", "Removes all keys from the current database.", "O(N) where N is the number of keys in the selected database"),
    ROW("flushall", -1, W | CMD_NOKEYS, 0, 0, 0, flushdb_command, V, "1.0.0", "Removes all keys from all databases.", "O(N) where N is the total number of keys in all databases"),
    ROW("ping", -1, F | CMD_STALE | CMD_NOKEYS, 0, 0, 0, ping_command, C, "1.0.0", "Returns the server's liveliness response.", "O(1)"),
    ROW("echo", 2, F | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, echo_command, C, "1.0.0", "Returns the given string.", "O(1)"),
    ROW("time", 1, F | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, time_command, V, "2.6.0", "Returns the server time.", "O(1)"),
    ROW("shutdown", -1, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_NOKEYS, 0, 0, 0, shutdown_command, V, "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"),
    ROW("select", 2, F | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, select_command, C, "1.0.0", "Changes the selected database.", "O(1)"),
    ROW("quit", -1, F | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_AUTH | CMD_NOKEYS, 0, 0, 0, quit_command, C, "1.0.0", "Closes the connection.", "O(1)"),
    ROW("reset", 1, F | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_AUTH | CMD_NOKEYS, 0, 0, 0, reset_command, C, "6.2.0", "Reset the connection", "O(1)"),
    ROW("hello", -1, F | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_AUTH | CMD_NOKEYS, 0, 0, 0, hello_command, C, "6.0.0", "Handshakes with the Redis server.", "O(1)"),
    ROW("auth", -2, F | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_AUTH | CMD_NOKEYS, 0, 0, 0, auth_command, C, "1.0.0", "Authenticates the connection.", "O(N) where N is the number of passwords defined for the user"),
    PARENT("client", -2, CMD_NOKEYS, NULL, client_subs, C, "2.4.0", "A container for client connection commands.", "Depends on subcommand."),
    PARENT("config", -2, CMD_NOKEYS, NULL, config_subs, V, "2.0.0", "A container for server configuration commands.", "Depends on subcommand."),
    PARENT("acl", -2, CMD_NOKEYS, NULL, acl_subs, V, "6.0.0", "A container for access control commands.", "Depends on subcommand."),
    PARENT("command", -1, CMD_LOADING | CMD_STALE | CMD_NOKEYS, command_command, command_subs, V, "2.8.13", "Returns detailed information about all commands.", "O(N) where N is the total number of Redis commands"),
    ROW("raft.snapshot", 1, CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, raft_snapshot_command, V, "0.4.0", "Makes this node's state machine durable and compacts its Raft log behind it.", "O(1), plus one synced write"),
    PARENT("raft.node", -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, NULL, raft_node_subs, V, "0.5.0", "A container for cluster membership commands.", "Depends on subcommand."),
    ROW("raft.transfer-leader", -1, CMD_LEADER | CMD_ADMIN | CMD_NOSCRIPT | CMD_NOKEYS, 0, 0, 0, raft_transfer_leader_command, V, "0.5.0", "Hands the leadership over to another voter (the most up-to-date one by default).", "O(1)"),
    ROW("raft.info", 1, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, raft_info_command, V, "0.5.0", "Returns this node's view of the Raft cluster: role, term, indexes and members.", "O(1)"),
    ROW("debug", -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, debug_command, V, "1.0.0", "A container for debugging commands.", "Depends on subcommand."),
    ROW("info", -1, CMD_LOADING | CMD_STALE | CMD_NOKEYS, 0, 0, 0, info_command, V, "1.0.0", "Returns information and statistics about the server.", "O(1)"),
};
#define NCOMMANDS ((int)(sizeof(table) / sizeof(table[0])))

command *cmd_table(int *n) { *n = NCOMMANDS; return table; }

