#include "autoscale.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace pw::sim {

namespace {

class Parser {
  public:
    Parser(std::string_view text, std::map<std::string, double>& vars) : s_(text), vars_(vars) {}

    double Expr() {
        double v = Term();
        for (;;) {
            Skip();
            if (Eat('+')) {
                v += Term();
            } else if (Eat('-')) {
                v -= Term();
            } else {
                return v;
            }
        }
    }

    bool AtEnd() {
        Skip();
        return i_ >= s_.size();
    }

  private:
    double Term() {
        double v = Factor();
        for (;;) {
            Skip();
            if (Eat('*')) {
                v *= Factor();
            } else if (Eat('/')) {
                const double d = Factor();
                if (d == 0) throw std::runtime_error("division by zero");
                v /= d;
            } else {
                return v;
            }
        }
    }

    double Factor() {
        Skip();
        if (Eat('-')) return -Factor();
        if (Eat('(')) {
            const double v = Expr();
            Skip();
            if (!Eat(')')) throw std::runtime_error("expected ')'");
            return v;
        }
        if (i_ < s_.size() &&
            (std::isdigit(static_cast<unsigned char>(s_[i_])) != 0 || s_[i_] == '.')) {
            std::size_t j = i_;
            while (j < s_.size() &&
                   (std::isdigit(static_cast<unsigned char>(s_[j])) != 0 || s_[j] == '.')) {
                ++j;
            }
            const double v = std::stod(std::string(s_.substr(i_, j - i_)));
            i_ = j;
            return v;
        }
        const std::string name = Name();
        if (name.empty()) throw std::runtime_error("unexpected character");
        Skip();
        if (Eat('(')) {
            std::vector<double> args;
            Skip();
            if (!Eat(')')) {
                for (;;) {
                    args.push_back(Expr());
                    Skip();
                    if (Eat(')')) break;
                    if (!Eat(',')) throw std::runtime_error("expected ','");
                }
            }
            if (args.empty()) throw std::runtime_error("function needs arguments");
            if (name == "min") return *std::min_element(args.begin(), args.end());
            if (name == "max") return *std::max_element(args.begin(), args.end());
            if (name == "floor") return std::floor(args[0]);
            if (name == "ceil") return std::ceil(args[0]);
            if (name == "abs") return std::fabs(args[0]);
            throw std::runtime_error("unsupported function '" + name + "'");
        }
        auto it = vars_.find(name == "$TargetDedicated" ? "$TargetDedicatedNodes" : name);
        if (it == vars_.end()) throw std::runtime_error("unknown variable '" + name + "'");
        return it->second;
    }

  public:
    std::string Name() {
        Skip();
        std::size_t j = i_;
        while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) != 0 ||
                                 s_[j] == '_' || s_[j] == '$')) {
            ++j;
        }
        std::string n(s_.substr(i_, j - i_));
        i_ = j;
        return n;
    }

    void Skip() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])) != 0) ++i_;
    }
    bool Eat(char c) {
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }

  private:
    std::string_view s_;
    std::map<std::string, double>& vars_;
    std::size_t i_ = 0;
};

std::string Trim(std::string_view s) {
    std::size_t a = 0;
    std::size_t b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a])) != 0) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])) != 0) --b;
    return std::string(s.substr(a, b - a));
}

std::string FormatNumber(double v) {
    if (std::floor(v) == v) return std::to_string(static_cast<long long>(v));
    return std::to_string(v);
}

}  // namespace

AutoScaleOutcome EvaluateAutoScale(std::string_view formula,
                                   const std::map<std::string, double>& inputs) {
    AutoScaleOutcome out;
    std::map<std::string, double> vars = inputs;
    std::vector<std::pair<std::string, std::string>> assigned;
    std::vector<std::string> statements;
    std::string cur;
    for (char c : formula) {
        if (c == ';' || c == '\n') {
            statements.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    statements.push_back(cur);
    try {
        for (const auto& raw : statements) {
            const std::string st = Trim(raw);
            if (st.empty() || st.rfind("//", 0) == 0) continue;
            const auto eq = st.find('=');
            if (eq == std::string::npos) throw std::runtime_error("expected an assignment");
            std::string name = Trim(std::string_view(st).substr(0, eq));
            const std::string rhs = Trim(std::string_view(st).substr(eq + 1));
            if (name == "$TargetDedicated") name = "$TargetDedicatedNodes";
            if (name.empty()) throw std::runtime_error("missing variable name");
            if (name == "$NodeDeallocationOption") {
                static const char* kOptions[] = {"requeue", "terminate", "taskcompletion",
                                                 "retaineddata"};
                if (std::find(std::begin(kOptions), std::end(kOptions), rhs) ==
                    std::end(kOptions)) {
                    throw std::runtime_error("invalid $NodeDeallocationOption '" + rhs + "'");
                }
                out.deallocation = rhs;
                assigned.emplace_back(name, rhs);
                continue;
            }
            Parser p(rhs, vars);
            const double v = p.Expr();
            if (!p.AtEnd()) throw std::runtime_error("unexpected text after expression");
            vars[name] = v;
            assigned.emplace_back(name, FormatNumber(v));
            if (name == "$TargetDedicatedNodes") out.target_dedicated = v;
            if (name == "$TargetLowPriorityNodes") out.target_low = v;
        }
    } catch (const std::exception& e) {
        out.error = e.what();
        return out;
    }
    bool has_dealloc = false;
    for (const auto& [n, v] : assigned) {
        if (!out.results.empty()) out.results += ";";
        const std::string shown =
            n == "$TargetDedicatedNodes" &&
                    formula.find("$TargetDedicated=") != std::string_view::npos
                ? "$TargetDedicated"
                : n;
        out.results += shown + "=" + v;
        if (n == "$NodeDeallocationOption") has_dealloc = true;
    }
    if (!has_dealloc) {
        if (!out.results.empty()) out.results += ";";
        out.results += "$NodeDeallocationOption=" + out.deallocation;
    }
    return out;
}

}  // namespace pw::sim
