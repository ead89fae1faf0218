#ifndef RBSH_CLIBEDIT_SHIM_H
#define RBSH_CLIBEDIT_SHIM_H
// libedit's el_set, el_get and history are variadic, so Swift cannot call
// them. Each wrapper below fixes one use of them with concrete types. They go
// when libedit grows non-variadic entry points (it has none as of 3.1).
#include <stdio.h>
#include <histedit.h>

typedef char *(*CLibEdit_PromptFunction)(EditLine *);
typedef unsigned char (*CLibEdit_KeyFunction)(EditLine *, int);

static inline int CLibEdit_setPrompt(EditLine *el, CLibEdit_PromptFunction f) {
    return el_set(el, EL_PROMPT, f);
}
static inline int CLibEdit_setEditor(EditLine *el, const char *mode) {
    return el_set(el, EL_EDITOR, mode);
}
static inline int CLibEdit_setHistory(EditLine *el, History *h) {
    return el_set(el, EL_HIST, history, h);
}
/// libedit restores the terminal and re-raises on signals when this is on.
static inline int CLibEdit_setSignalHandling(EditLine *el, int on) {
    return el_set(el, EL_SIGNAL, on);
}
static inline int CLibEdit_setClientData(EditLine *el, void *data) {
    return el_set(el, EL_CLIENTDATA, data);
}
static inline void *CLibEdit_clientData(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}
/// Adds rbsh's completion key function. Through el_wset with static wide
/// strings: el_set(EL_ADDFN) copies its narrow strings with wcsdup and never
/// frees them (libedit's eln.c says so), which leak checkers report.
static inline int CLibEdit_addCompletionFunction(EditLine *el, CLibEdit_KeyFunction f) {
    return el_wset(el, EL_ADDFN, L"rbsh-complete", L"Complete rbsh commands and names", f);
}
static inline int CLibEdit_bind(EditLine *el, const char *key, const char *function) {
    return el_set(el, EL_BIND, key, function, (const char *)NULL);
}

static inline int CLibEdit_historySetSize(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}
static inline int CLibEdit_historySetUnique(History *h, int unique) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, unique);
}
static inline int CLibEdit_historyEnter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}
static inline int CLibEdit_historyLoad(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}
static inline int CLibEdit_historySave(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}
#endif
