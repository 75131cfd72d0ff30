// The strong anchor for `skresults labels`: simdjson On-Demand over 8 MiB line-aligned chunks read
// with read(2), counting labels and actions with the same leniency rules. Prints the counts as JSON.
// Build: g++ -O3 -std=c++17 simdjson_labels.cpp -lsimdjson
#include <simdjson.h>
#include <fcntl.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>
#include <algorithm>

using namespace simdjson;

static void count_names(ondemand::value list, const char *key, std::unordered_map<std::string, long> &counts,
                        long &ignored) {
    ondemand::json_type type;
    if (list.type().get(type) || type == ondemand::json_type::null) return;
    if (type != ondemand::json_type::array) { ignored++; return; }
    for (auto element : list.get_array()) {
        ondemand::value v;
        if (element.get(v)) { ignored++; continue; }
        ondemand::json_type et;
        if (v.type().get(et)) { ignored++; continue; }
        std::string_view name;
        if (et == ondemand::json_type::string) {
            if (v.get_string().get(name)) { ignored++; continue; }
        } else if (et == ondemand::json_type::object) {
            ondemand::value field;
            if (v.find_field_unordered(key).get(field) || field.get_string().get(name)) { ignored++; continue; }
        } else { ignored++; continue; }
        counts[std::string(name)]++;
    }
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s FILE\n", argv[0]); return 64; }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror(argv[1]); return 1; }
    const size_t chunk = 8 << 20;
    std::vector<char> buffer(chunk + SIMDJSON_PADDING);
    size_t carry = 0;
    ondemand::parser parser;
    std::unordered_map<std::string, long> labels, actions;
    long rows = 0, nulls = 0, ignored = 0, errors = 0;
    bool eof = false;
    while (!eof) {
        size_t filled = carry;
        while (filled < chunk) {
            ssize_t n = read(fd, buffer.data() + filled, chunk - filled);
            if (n < 0) { perror("read"); return 1; }
            if (n == 0) { eof = true; break; }
            filled += n;
        }
        size_t end = filled;
        if (!eof) {
            while (end > 0 && buffer[end - 1] != '\n') end--;
            if (end == 0) { fprintf(stderr, "line longer than chunk\n"); return 1; }
        }
        if (end > 0) {
            ondemand::document_stream stream;
            auto error = parser.iterate_many(buffer.data(), end, chunk).get(stream);
            if (error) { fprintf(stderr, "%s\n", error_message(error)); return 1; }
            for (auto doc : stream) {
                ondemand::object row;
                if (doc.get_object().get(row)) { errors++; continue; }
                rows++;
                ondemand::value output;
                auto err = row.find_field_unordered("output").get(output);
                if (err || output.is_null()) { nulls++; continue; }
                ondemand::object out;
                if (output.get_object().get(out)) { errors++; continue; }
                for (auto field : out) {
                    std::string_view k;
                    if (field.unescaped_key().get(k)) continue;
                    ondemand::value v;
                    if (field.value().get(v)) continue;
                    if (k == "labels") count_names(v, "label", labels, ignored);
                    else if (k == "actions") count_names(v, "action", actions, ignored);
                }
            }
        }
        carry = filled - end;
        memmove(buffer.data(), buffer.data() + end, carry);
    }
    auto print = [](const char *title, std::unordered_map<std::string, long> &m) {
        std::vector<std::pair<std::string, long>> v(m.begin(), m.end());
        std::sort(v.begin(), v.end());
        printf("\"%s\":{", title);
        for (size_t i = 0; i < v.size(); i++) printf("%s\"%s\":%ld", i ? "," : "", v[i].first.c_str(), v[i].second);
        printf("}");
    };
    printf("{\"rows\":%ld,\"null_output\":%ld,\"ignored_entries\":%ld,", rows, nulls, ignored);
    print("labels", labels);
    printf(",");
    print("actions", actions);
    printf("}\n");
    return errors ? 2 : 0;
}
