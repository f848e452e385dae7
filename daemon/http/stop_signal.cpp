#include "http/stop_signal.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pw::http {

void StopSignal::trigger() {
    triggered_ = true;
    for (auto* timer : timers_) timer->cancel();
}

boost::asio::awaitable<bool> StopSignal::sleep(std::chrono::steady_clock::duration d) {
    if (triggered_) co_return false;
    if (d <= std::chrono::steady_clock::duration::zero()) co_return true;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
    timers_.insert(&timer);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    timers_.erase(&timer);
    // The caller's own cancellation (e.g. a deadline around the whole call) also ends the wait.
    auto state = co_await boost::asio::this_coro::cancellation_state;
    co_return !triggered_ && state.cancelled() == boost::asio::cancellation_type::none;
}

}  // namespace pw::http
