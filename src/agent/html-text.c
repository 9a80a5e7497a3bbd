/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HTML to text. The walk is iterative: a hostile page can nest elements as deep as libxml2
 * allows, and recursion on that would be the parser's depth, not ours, to bound. */

#include <assert.h>
#include <ctype.h>
#include <strings.h>

#include "html-text.h"
#include "libxml2-lazy.h"
#include "macro.h"

typedef struct Text {
        const LibXml2 *xml;
        char *buf;
        size_t n, allocated;
        bool space;             /* a space is pending before the next word */
        unsigned newlines;      /* line breaks at the end of buf */
        bool oom;
} Text;

static const char *const skipped[] = {
        "script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas",
};

/* Elements set apart by an empty line. */
static const char *const blocks[] = {
        "p", "section", "article", "header", "footer", "main", "nav", "aside", "ul", "ol",
        "table", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "dl", "form", "figure", "body",
};

/* Elements that start a line of their own. */
static const char *const lines[] = {
        "div", "li", "br", "tr", "dt", "dd", "figcaption", "title",
};

static bool name_in(const xmlChar *name, const char *const *list, size_t n) {
        for (size_t i = 0; name && i < n; i++)
                if (strcasecmp((const char *) name, list[i]) == 0)
                        return true;
        return false;
}

static void put(Text *t, const char *s, size_t n) {
        char *b;

        if (t->oom || n == 0)
                return;
        if (t->n + n + 1 > t->allocated) {
                size_t want = MAX(t->allocated * 2, t->n + n + 1024);

                b = realloc(t->buf, want);
                if (!b) {
                        t->oom = true;
                        return;
                }
                t->buf = b;
                t->allocated = want;
        }
        memcpy(t->buf + t->n, s, n);
        t->n += n;
        t->buf[t->n] = 0;
}

/* Ends the current line, and with paragraph also leaves an empty one. */
static void newline(Text *t, bool paragraph) {
        while (t->n > 0 && t->newlines < (paragraph ? 2U : 1U)) {
                put(t, "\n", 1);
                t->newlines++;
        }
        t->space = false;
}

static void put_words(Text *t, const char *s, bool pre) {
        while (*s) {
                size_t word = 0;

                if (pre) {
                        word = strlen(s);
                } else if (isspace((unsigned char) *s)) {
                        t->space = true;
                        s++;
                        continue;
                } else
                        while (s[word] && !isspace((unsigned char) s[word]))
                                word++;
                if (t->space && t->newlines == 0 && t->n > 0)
                        put(t, " ", 1);
                put(t, s, word);
                t->space = false;
                t->newlines = word > 0 && s[word - 1] == '\n' ? 1 : 0;
                s += word;
        }
}

static bool inside_pre(xmlNode *n) {
        for (; n; n = n->parent)
                if (n->type == XML_ELEMENT_NODE && name_in(n->name, (const char *const[]) { "pre" }, 1))
                        return true;
        return false;
}

static void enter(Text *t, xmlNode *n) {
        if (name_in(n->name, blocks, ELEMENTSOF(blocks)))
                newline(t, true);
        else if (name_in(n->name, lines, ELEMENTSOF(lines)))
                newline(t, false);
        if (name_in(n->name, (const char *const[]) { "li" }, 1))
                put(t, "- ", 2);
        if (name_in(n->name, (const char *const[]) { "h1", "h2", "h3" }, 3))
                put(t, "# ", 2);
}

static void leave(Text *t, xmlNode *n) {
        xmlChar *href;

        if (name_in(n->name, (const char *const[]) { "a" }, 1) && (href = t->xml->xmlGetProp(n, (const xmlChar *) "href"))) {
                if (startswith((const char *) href, "http")) {
                        put(t, " <", 2);
                        put(t, (const char *) href, strlen((const char *) href));
                        put(t, ">", 1);
                }
                t->xml->free(href);
        }
        if (name_in(n->name, blocks, ELEMENTSOF(blocks)))
                newline(t, true);
        else if (name_in(n->name, lines, ELEMENTSOF(lines)))
                newline(t, false);
        else if (name_in(n->name, (const char *const[]) { "td", "th" }, 2))
                put(t, " | ", 3);
}

/* Depth-first over the tree with parent links instead of a stack. */
static void walk(Text *t, xmlNode *root) {
        xmlNode *n = root;

        while (n) {
                bool descend = false;

                if (n->type == XML_ELEMENT_NODE && !name_in(n->name, skipped, ELEMENTSOF(skipped))) {
                        enter(t, n);
                        descend = n->children != NULL;
                        if (!descend)
                                leave(t, n);
                } else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content)
                        put_words(t, (const char *) n->content, inside_pre(n->parent));

                if (descend) {
                        n = n->children;
                        continue;
                }
                while (n && n != root && !n->next) {
                        n = n->parent;
                        if (n && n->type == XML_ELEMENT_NODE)
                                leave(t, n);
                }
                if (!n || n == root)
                        break;
                n = n->next;
        }
}

int html_to_text(const char *html, size_t n, char **ret) {
        const LibXml2 *xml;
        xmlDoc *doc;
        xmlNode *root;
        Text t = {};
        int r;

        assert(ret);
        if (n > INT32_MAX)
                return -E2BIG;
        r = libxml2_get(&xml);
        if (r < 0)
                return r;
        t.xml = xml;
        doc = xml->htmlReadMemory(html, (int) n, NULL, NULL,
                                  HTML_PARSE_RECOVER|HTML_PARSE_NOERROR|HTML_PARSE_NOWARNING|HTML_PARSE_NONET|
                                  HTML_PARSE_NOBLANKS|HTML_PARSE_COMPACT);
        if (!doc)
                return -EBADMSG;
        root = xml->xmlDocGetRootElement(doc);
        if (root)
                walk(&t, root);
        xml->xmlFreeDoc(doc);
        if (!t.oom && !t.buf) {
                t.buf = strdup("");
                t.oom = !t.buf;
        }
        if (t.oom) {
                free(t.buf);
                return -ENOMEM;
        }
        /* Trailing line breaks say nothing. */
        while (t.n > 0 && t.buf[t.n - 1] == '\n')
                t.buf[--t.n] = 0;
        *ret = t.buf;
        return 0;
}
