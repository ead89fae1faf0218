#ifndef RBSH_CHIREDIS_SHIM_H
#define RBSH_CHIREDIS_SHIM_H
// hiredis 0.14 (Debian 12). `redisCommand` is variadic and never used:
// every command goes through `redisCommandArgv`, so values are never
// formatted into a command string.
#include <hiredis.h>
#endif
