/*
 * Small N-API and libuv helpers shared by laggboot's addons (tftp_data.c,
 * dhcp_sock.c). Header-only: each addon is its own shared object.
 */
#ifndef LAGGBOOT_NAPI_COMMON_H
#define LAGGBOOT_NAPI_COMMON_H

#include <node_api.h>
#include <stdlib.h>
#include <uv.h>

/* The native object behind `this` of a method call. */
static inline void *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  napi_unwrap(env, self, &data);
  return data;
}

static inline double num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

static inline napi_value ret_int(napi_env env, int v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

/*
 * Calls the callback in cb_ref with `this` = the object in self_ref, inside
 * the async context (so the microtask queue and async hooks run as for any
 * callback from the loop). A throw is reported like any uncaught exception.
 * The caller holds a handle scope.
 */
static inline void call_back(napi_env env, napi_async_context actx, napi_ref self_ref, napi_ref cb_ref, size_t argc, napi_value *argv) {
  napi_value cb, self, result;
  napi_get_reference_value(env, cb_ref, &cb);
  napi_get_reference_value(env, self_ref, &self);
  if (napi_make_callback(env, actx, self, cb, argc, argv, &result) == napi_pending_exception) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
}

static void free_poll(uv_handle_t *h) { free(h); }

/* Stops watching and frees the poll handle (once libuv is done with it). */
static inline void close_poll(uv_poll_t **poll) {
  if (!*poll) return;
  uv_poll_stop(*poll);
  (*poll)->data = NULL;
  uv_close((uv_handle_t *)*poll, free_poll);
  *poll = NULL;
}

#endif
