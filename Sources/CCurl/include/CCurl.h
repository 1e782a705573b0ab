#ifndef CCURL_H
#define CCURL_H

// The system's libcurl, loaded when a command first talks to a remote rather than linked:
// libcurl and the thirty libraries it needs cost about 6 ms at every start of every lake
// command, more than most local commands spend on their own work (docs/remote.md §1).
// Types and constants come from the libcurl4-openssl-dev headers; calls go through these
// functions, which reach the loaded library.

#include <stddef.h>
#include <curl/curl.h>

/// Loads libcurl from `path` (NULL: libcurl.so.4) and runs curl_global_init, once per process;
/// later calls return the first call's result. Returns 0, or -1 with the reason in `error`.
int lake_curl_load(const char *path, char *error, size_t size);

CURL *lake_curl_easy_init(void);
void lake_curl_easy_cleanup(CURL *c);
void lake_curl_easy_reset(CURL *c);
CURLcode lake_curl_easy_perform(CURL *c);
const char *lake_curl_easy_strerror(CURLcode code);
struct curl_slist *lake_curl_slist_append(struct curl_slist *list, const char *text);
void lake_curl_slist_free_all(struct curl_slist *list);

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed
// wrapper per argument type.
typedef size_t (*lake_curl_io)(char *buffer, size_t size, size_t count, void *context);

CURLcode lake_curl_set_long(CURL *c, CURLoption o, long v);
CURLcode lake_curl_set_offset(CURL *c, CURLoption o, curl_off_t v);
CURLcode lake_curl_set_string(CURL *c, CURLoption o, const char *v);
CURLcode lake_curl_set_pointer(CURL *c, CURLoption o, void *v);
CURLcode lake_curl_set_function(CURL *c, CURLoption o, lake_curl_io f);
/// The last response's HTTP status.
long lake_curl_status(CURL *c);

#endif
