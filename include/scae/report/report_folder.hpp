#pragma once
/// @file report_folder.hpp
/// @brief Writes a multi-file report whole: every file goes into a temporary folder beside the
/// target, which is moved into place only when the report is complete. A run that fails halfway
/// leaves the earlier report as it was, never a half-old, half-new folder.

#include "scae/core/atomic_file.hpp"
#include "scae/core/error.hpp"

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <cstdio> // renameat2, RENAME_EXCHANGE (glibc 2.28 and later)
#include <fcntl.h> // AT_FDCWD
#endif

namespace scae::report {

/// A report folder under construction. Write into path() (or file(name)); commit() moves the
/// finished files into the target; the destructor removes an uncommitted temporary folder.
///
/// When the target does not exist, commit() renames the whole temporary folder onto it. When it
/// exists, the folder itself is kept as it is (its inode, mode, owner, setgid bit and ACLs, and
/// every entry the report does not write): each entry of the new report replaces the entry of the
/// same name (a folder replaces the old folder whole). A report written into a folder that also
/// holds inputs, or into a project folder (`--out .`), never deletes or re-creates anything else.
/// commit() documents how each replacement is made whole.
class ReportFolder {
public:
    /// Prepares a fresh temporary folder beside `target` (creating the target's parent folders).
    /// `keep` lists paths (inputs) that commit() must never replace or delete. Throws
    /// scae::Error when the target exists but is not a folder, or the folder cannot be made.
    /// @param target  the report folder to create or update; relative paths are made absolute
    /// @param keep    input files or folders that the report must not replace
    /// @throws Error for an empty or root target, a target that is not a folder, or a folder that
    /// cannot be created
    explicit ReportFolder(const std::filesystem::path& target, std::vector<std::filesystem::path> keep = {})
        : keep_(std::move(keep)) {
        namespace fs = std::filesystem;
        std::error_code error;
        fs::path t = fs::absolute(target, error).lexically_normal();
        if (error || target.empty()) fail(target.string(), 0, "cannot be used as a report folder (empty or invalid path)");
        if (!t.has_filename()) t = t.parent_path();
        if (t.filename().empty() || t == t.root_path()) fail(target.string(), 0, "cannot be used as a report folder");
        target_ = t;
        if (fs::exists(target_) && !fs::is_directory(target_))
            fail(target.string(), 0, "exists and is not a folder; expected a folder for the report (or a new name)");
        fs::create_directories(target_.parent_path(), error);
        if (error) fail(target_.parent_path().string(), 0, "cannot create the folder: " + error.message());
        temporary_ = temporary_path(target_);
        fs::remove_all(temporary_, error);
        if (!fs::create_directory(temporary_, error) || error)
            fail(temporary_.string(), 0, "cannot create the temporary report folder: " + error.message());
    }

    ReportFolder(const ReportFolder&) = delete;
    ReportFolder& operator=(const ReportFolder&) = delete;

    ~ReportFolder() {
        std::error_code ignored;
        if (!committed_) std::filesystem::remove_all(temporary_, ignored);
    }

    /// The temporary folder that receives the report's files until commit().
    /// @return the temporary folder (removed by commit() or the destructor)
    const std::filesystem::path& path() const { return temporary_; }

    /// `name` inside the temporary folder, as a string.
    /// @param name  a file name (or relative path) inside the report
    /// @return its path inside the temporary folder
    std::string file(const std::string& name) const { return (temporary_ / name).string(); }

    /// Runs `write` on the temporary folder (its path as a string) and returns what it returns.
    /// A scae::Error or file-system error it throws is rethrown as a scae::Error that names the
    /// target where it named the temporary folder, so that a report that fails to write names
    /// the output the user asked for, not a hidden folder that is removed.
    /// @param write  callable taking the temporary folder's path (std::string) that writes the report
    /// @return what `write` returns
    /// @throws Error for a failure of `write` that is a scae::Error or a std::filesystem::filesystem_error
    template <class Write>
    decltype(auto) write(Write&& write) const {
        try {
            return write(temporary_.string());
        } catch (const Error& e) {
            throw Error(for_target(e.what()));
        } catch (const std::filesystem::filesystem_error& e) {
            throw Error(for_target(e.what()));
        }
    }

    /// `message` naming the target wherever it named the temporary folder.
    /// @param message  a message about a file of the report
    /// @return the message with every mention of the temporary folder replaced by the target
    std::string for_target(std::string message) const {
        const std::string from = temporary_.string(), to = target_.string();
        for (std::size_t at = message.find(from); at != std::string::npos; at = message.find(from, at + to.size()))
            message.replace(at, from.size(), to);
        return message;
    }

    /// The folder the report ends up in (absolute).
    /// @return the absolute, normalised target
    const std::filesystem::path& target() const { return target_; }

    /// Moves the finished report into the target. Checks every entry before moving any, so a
    /// refusal (an entry would replace a kept input) leaves the target untouched.
    ///
    /// Into an existing target, each report entry replaces the target's entry of the same name in
    /// turn: a file by one rename (a reader sees the old file or the new one, never a part), a
    /// folder by one swap where the system allows it (Linux renameat2 RENAME_EXCHANGE), else by
    /// moving the old folder aside first. The target folder itself is never moved or re-created.
    /// @throws Error when an entry would replace a kept input, or a move fails
    void commit() {
        namespace fs = std::filesystem;
        std::error_code error;
        if (!fs::exists(target_)) {
            fs::rename(temporary_, target_, error);
            if (error) fail(target_.string(), 0, "cannot move the finished report into place: " + error.message());
            committed_ = true;
            return;
        }
        std::vector<fs::path> entries;
        for (const auto& entry : fs::directory_iterator(temporary_)) entries.push_back(entry.path());
        for (const fs::path& entry : entries) {
            const fs::path destination = target_ / entry.filename();
            for (const fs::path& input : keep_)
                if (holds(destination, input))
                    fail(destination.string(), 0,
                         "the report would replace the input " + input.string() + "; expected a report folder apart from the inputs");
        }
        for (const fs::path& entry : entries) {
            const fs::path destination = target_ / entry.filename();
            if (fs::is_directory(fs::symlink_status(entry)) && fs::is_directory(fs::symlink_status(destination)) &&
                exchange(entry, destination))
                continue; // the earlier folder is now in the temporary folder, removed below
            fs::path old;
            if (fs::is_directory(fs::symlink_status(destination)) || (fs::exists(destination) && fs::is_directory(entry))) {
                old = temporary_path(destination, "old");
                fs::rename(destination, old, error);
                if (error) fail(destination.string(), 0, "cannot move the earlier report's entry aside: " + error.message());
            }
            fs::rename(entry, destination, error);
            if (error) {
                if (!old.empty()) fs::rename(old, destination, error);
                fail(destination.string(), 0, "cannot move the finished report entry into place: " + error.message());
            }
            if (!old.empty()) fs::remove_all(old, error);
        }
        fs::remove_all(temporary_, error);
        committed_ = true;
    }

private:
    /// Swaps two paths in one step. False where the system or the file system cannot.
    static bool exchange(const std::filesystem::path& a, const std::filesystem::path& b) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
        return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
        (void)a, (void)b;
        return false;
#endif
    }

    /// True when `path` is `input` or a folder that contains it.
    static bool holds(const std::filesystem::path& path, const std::filesystem::path& input) {
        namespace fs = std::filesystem;
        std::error_code error;
        if (!fs::exists(path, error) || input.empty() || !fs::exists(input, error)) return false;
        const fs::path p = fs::canonical(path, error), i = fs::canonical(input, error);
        if (error) return false;
        if (fs::equivalent(p, i, error)) return true;
        auto pi = p.begin(), ii = i.begin();
        for (; pi != p.end() && ii != i.end(); ++pi, ++ii)
            if (*pi != *ii) return false;
        return pi == p.end();
    }

    std::filesystem::path target_;
    std::filesystem::path temporary_;
    std::vector<std::filesystem::path> keep_;
    bool committed_ = false;
};

} // namespace scae::report
