#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <vector>

namespace pw::observe {

/// Runs `tasks` on the calling coroutine's executor with at most `limit` in flight and returns
/// when all have finished. The first exception thrown by a task is rethrown after the others
/// finish. The executor must be single-threaded (an io_context run by one thread, or a strand).
///
/// Thread safety: see above; the tasks run interleaved, never in parallel.
boost::asio::awaitable<void> RunBounded(
    std::vector<std::function<boost::asio::awaitable<void>()>> tasks, int limit);

}  // namespace pw::observe
