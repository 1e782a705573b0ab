#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *c);
    void (*easy_reset)(CURL *c);
    CURLcode (*easy_perform)(CURL *c);
    const char *(*easy_strerror)(CURLcode code);
    CURLcode (*easy_setopt)(CURL *c, CURLoption o, ...);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO i, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
} curl;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int load_result = 1; // 1: not tried yet
static char load_error[512];

static int resolve(void *library, const char *name, void **slot) {
    *slot = dlsym(library, name);
    if (*slot) return 0;
    snprintf(load_error, sizeof load_error, "libcurl lacks %s: it is older than 7.75", name);
    return -1;
}

static int load(const char *path) {
    void *library = dlopen(path ? path : "libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return -1;
    }
    if (resolve(library, "curl_global_init", (void **)&curl.global_init) ||
        resolve(library, "curl_easy_init", (void **)&curl.easy_init) ||
        resolve(library, "curl_easy_cleanup", (void **)&curl.easy_cleanup) ||
        resolve(library, "curl_easy_reset", (void **)&curl.easy_reset) ||
        resolve(library, "curl_easy_perform", (void **)&curl.easy_perform) ||
        resolve(library, "curl_easy_strerror", (void **)&curl.easy_strerror) ||
        resolve(library, "curl_easy_setopt", (void **)&curl.easy_setopt) ||
        resolve(library, "curl_easy_getinfo", (void **)&curl.easy_getinfo) ||
        resolve(library, "curl_slist_append", (void **)&curl.slist_append) ||
        resolve(library, "curl_slist_free_all", (void **)&curl.slist_free_all)) {
        return -1;
    }
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
        return -1;
    }
    return 0;
}

int lake_curl_load(const char *path, char *error, size_t size) {
    pthread_mutex_lock(&load_lock);
    if (load_result == 1) load_result = load(path);
    pthread_mutex_unlock(&load_lock);
    if (load_result != 0 && size > 0) snprintf(error, size, "%s", load_error);
    return load_result;
}

CURL *lake_curl_easy_init(void) { return curl.easy_init(); }
void lake_curl_easy_cleanup(CURL *c) { curl.easy_cleanup(c); }
void lake_curl_easy_reset(CURL *c) { curl.easy_reset(c); }
CURLcode lake_curl_easy_perform(CURL *c) { return curl.easy_perform(c); }
const char *lake_curl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }
struct curl_slist *lake_curl_slist_append(struct curl_slist *list, const char *text) { return curl.slist_append(list, text); }
void lake_curl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }

CURLcode lake_curl_set_long(CURL *c, CURLoption o, long v) { return curl.easy_setopt(c, o, v); }
CURLcode lake_curl_set_offset(CURL *c, CURLoption o, curl_off_t v) { return curl.easy_setopt(c, o, v); }
CURLcode lake_curl_set_string(CURL *c, CURLoption o, const char *v) { return curl.easy_setopt(c, o, v); }
CURLcode lake_curl_set_pointer(CURL *c, CURLoption o, void *v) { return curl.easy_setopt(c, o, v); }
CURLcode lake_curl_set_function(CURL *c, CURLoption o, lake_curl_io f) { return curl.easy_setopt(c, o, f); }

long lake_curl_status(CURL *c) {
    long status = 0;
    curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}
