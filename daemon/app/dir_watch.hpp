#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

namespace pw::app {

/// Watches a directory with inotify (files written, moved in or out, created, deleted) and
/// calls `on_change` once per burst of events, `debounce` after the last one.
///
/// Thread safety: use from one strand; cancel() there too.
class DirWatcher {
  public:
    DirWatcher(boost::asio::any_io_executor executor, std::filesystem::path dir,
               std::chrono::milliseconds debounce = std::chrono::milliseconds(300));
    ~DirWatcher();
    DirWatcher(const DirWatcher&) = delete;
    DirWatcher& operator=(const DirWatcher&) = delete;

    /// False when inotify could not watch the directory (the daemon then relies on SIGHUP).
    bool ok() const { return stream_.has_value(); }
    boost::asio::awaitable<void> run(std::function<void()> on_change);
    void cancel();

  private:
    boost::asio::any_io_executor executor_;
    std::chrono::milliseconds debounce_;
    std::optional<boost::asio::posix::stream_descriptor> stream_;
    bool cancelled_ = false;
};

}  // namespace pw::app
