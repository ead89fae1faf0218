#ifndef RBSH_CLIBPQ_SHIM_H
#define RBSH_CLIBPQ_SHIM_H
// libpq is not variadic: the header is enough.
#include <libpq-fe.h>
#endif
