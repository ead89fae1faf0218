#ifndef RBSH_CMARK_SHIM_H
#define RBSH_CMARK_SHIM_H
// cmark 0.30 (Debian 12's libcmark-dev), the CommonMark reference
// implementation: Markdown runbooks are parsed with it, for its source positions.
#include <cmark.h>
#endif
