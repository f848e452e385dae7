#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>

namespace pw::app {

/// Watches a directory with inotify (files written, moved in or out, created, deleted) and
/// calls `on_change` once per burst of events, `debounce` after the last one.
///
/// The directory may be replaced under its path, as configuration management does it (a new
/// directory renamed over the old one's name, `rm -rf` then `mkdir`, a symlink swapped to
/// another directory): the parent directory is watched for its name too, and on any of these
/// the watch moves to whatever the path names now (symlinks followed), and `on_change` runs.
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
    bool ok() const { return stream_.has_value() && dir_wd_ >= 0; }
    boost::asio::awaitable<void> run(std::function<void()> on_change);
    void cancel();
    /// Watches `dir` from now on instead (a reload that changed poolsDir).
    void set_dir(std::filesystem::path dir);

  private:
    /// Watches what `dir_` names now; drops the watch of a directory no longer there.
    void watch_dir();
    void watch_parent();
    /// Handles a batch of inotify events: true when one concerns the directory's contents or
    /// the directory itself (then re-watched).
    bool handle(std::span<const char> events);

    boost::asio::any_io_executor executor_;
    std::filesystem::path dir_;
    std::chrono::milliseconds debounce_;
    std::optional<boost::asio::posix::stream_descriptor> stream_;
    int dir_wd_ = -1;
    int parent_wd_ = -1;
    bool cancelled_ = false;
};

}  // namespace pw::app
