/* The public page of an upload link; see upload_page.h. */
#include "api/upload_page.h"

#include "api/share_page.h"
#include "core/err.h"
#include "core/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The only style the page may use: its hash is in the page's CSP. */
static const char style[] =
    ":root{color-scheme:light dark}"
    "body{font-family:system-ui,sans-serif;margin:0;padding:2rem 1rem;color:#1f2328;"
    "background:#f6f7f9}"
    "main{max-width:40rem;margin:0 auto;background:#fff;padding:1.5rem 2rem;"
    "border:1px solid #d8dee4;border-radius:8px}"
    "h1{font-size:1.3rem}"
    ".meta{color:#59636e}"
    ".note{white-space:pre-wrap;border-left:3px solid #0969da;padding:.25rem .75rem;"
    "margin:1rem 0;overflow-wrap:anywhere}"
    ".zone{display:block;border:2px dashed #8c959f;border-radius:8px;padding:2rem 1rem;"
    "text-align:center;margin:1rem 0;cursor:pointer}"
    ".zone.over{border-color:#0969da;background:#ddf4ff}"
    "button{padding:.5rem 1rem;background:#0969da;color:#fff;border:0;border-radius:6px;"
    "font-size:1rem;cursor:pointer}"
    "input{font-size:1rem;padding:.4rem;margin:.25rem 0 .75rem}"
    "label{display:block}"
    "ul{list-style:none;padding:0}"
    "li{display:grid;grid-template-columns:1fr 8rem;gap:.25rem .75rem;padding:.4rem 0;"
    "border-top:1px solid #eaeef2;overflow-wrap:anywhere}"
    "li .st{grid-column:1/3;color:#59636e;font-size:.9rem}"
    "li.ok .st{color:#1a7f37}li.bad .st{color:#cf222e}"
    "progress{width:8rem}"
    "footer{text-align:center;color:#59636e;font-size:.85rem;margin-top:1rem}"
    "@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}"
    "main{background:#161b22;border-color:#30363d}.meta,footer,li .st{color:#9198a1}"
    ".zone{border-color:#6e7681}.zone.over{background:#0c2d6b;border-color:#4493f8}"
    "li{border-color:#30363d}li.ok .st{color:#3fb950}li.bad .st{color:#f85149}"
    "button{background:#1f6feb}}";

/*
 * The page's behaviour: drag and drop or pick, then one XHR per file (two at
 * a time) with a progress bar each. Constant: texts come from data-
 * attributes on <main>.
 */
static const char script[] =
    "(function(){"
    "var f=document.getElementById('f');if(!f||!window.XMLHttpRequest||!window.FormData)return;"
    "var m=document.querySelector('main').dataset,zone=document.getElementById('zone'),"
    "input=document.getElementById('file'),list=document.getElementById('list'),"
    "pw=document.getElementById('password'),queue=[],busy=0;"
    "function next(){while(busy<2&&queue.length){busy++;send(queue.shift());}}"
    "function send(file){"
    "var li=document.createElement('li'),n=document.createElement('span'),"
    "bar=document.createElement('progress'),st=document.createElement('span');"
    "n.textContent=file.name;bar.max=100;bar.value=0;st.className='st';"
    "st.textContent=m.sending;st.setAttribute('role','status');"
    "li.appendChild(n);li.appendChild(bar);li.appendChild(st);list.appendChild(li);"
    "var fd=new FormData();if(pw)fd.append('password',pw.value);fd.append('file',file,file.name);"
    "var x=new XMLHttpRequest();x.open('POST',f.action);"
    "x.setRequestHeader('Accept','application/json');"
    "x.upload.onprogress=function(e){if(e.lengthComputable)"
    "bar.value=Math.round(e.loaded*100/e.total);};"
    "x.onload=function(){var ok=x.status===201,t=ok?m.done:m.failed;"
    "try{var j=JSON.parse(x.responseText);"
    "if(ok&&j.files&&j.files[0]&&j.files[0].name!==file.name)"
    "t=m.storedas.replace('%s',j.files[0].name);"
    "else if(!ok&&j.error&&j.error.message)t=j.error.message;}catch(e){}"
    "if(ok)bar.value=100;st.textContent=t;li.className=ok?'ok':'bad';busy--;next();};"
    "x.onerror=function(){st.textContent=m.failed;li.className='bad';busy--;next();};"
    "x.send(fd);}"
    "function add(files){for(var i=0;i<files.length;i++)queue.push(files[i]);next();}"
    "f.addEventListener('submit',function(e){e.preventDefault();add(input.files);"
    "input.value='';});"
    "input.addEventListener('change',function(){add(input.files);input.value='';});"
    "zone.addEventListener('dragover',function(e){e.preventDefault();zone.className='zone over';});"
    "zone.addEventListener('dragleave',function(){zone.className='zone';});"
    "zone.addEventListener('drop',function(e){e.preventDefault();zone.className='zone';"
    "add(e.dataTransfer.files);});"
    "})();";

struct text {
    const char *id, *en, *fr;
};

static const struct text texts[] = {
    {"title", "Send files", "Envoyer des fichiers"},
    {"intro", "Files you send here go to a private folder; you cannot see what others sent.",
     "Les fichiers envoyés ici vont dans un dossier privé ; vous ne voyez pas ceux des autres."},
    {"from", "Asked by", "Demandé par"},
    {"until", "Open until", "Ouvert jusqu'au"},
    {"filesleft", "Files you may still send:", "Fichiers que vous pouvez encore envoyer :"},
    {"bytesleft", "Room left:", "Place restante :"},
    {"password", "Password", "Mot de passe"},
    {"zone", "Drop files here, or choose them", "Déposez des fichiers ici, ou choisissez-les"},
    {"send", "Send", "Envoyer"},
    {"sending", "Sending…", "Envoi…"},
    {"done", "Received", "Reçu"},
    {"failed", "Not sent", "Non envoyé"},
    {"storedas", "Received as %s (a file of that name was already there)",
     "Reçu sous le nom %s (un fichier de ce nom existait déjà)"},
    {"footer", "Files are received with Seau", "Fichiers reçus avec Seau"},
    {"gone.title", "This link no longer accepts files", "Ce lien n'accepte plus de fichiers"},
    {"gone.text", "It has expired, was revoked, or has received all the files it could.",
     "Il a expiré, a été révoqué, ou a reçu tous les fichiers qu'il pouvait."},
    {"notfound.title", "Link not found", "Lien introuvable"},
    {"notfound.text", "This link does not exist. Check that it was copied whole.",
     "Ce lien n'existe pas. Vérifiez qu'il a été copié en entier."},
    {"received.title", "Thank you", "Merci"},
    {"received.text", "Your files were received.", "Vos fichiers ont été reçus."},
};

const char *upload_page_text(enum upload_page_lang lang, const char *id)
{
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(texts[i].id, id) == 0)
            return lang == UPLOAD_PAGE_FR ? texts[i].fr : texts[i].en;
    return "";
}

/* A q-value ("0.8", "1", "0.125") in thousandths, from h; *h is moved past it. Over 1 is 1. */
static int qvalue(const char **h)
{
    const char *p = *h;
    int v = 0;
    if (*p == '0' || *p == '1') {
        v = (*p - '0') * 1000;
        p++;
        if (*p == '.') {
            p++;
            int scale = 1000;
            for (int digits = 0; *p >= '0' && *p <= '9' && digits < 3; digits++, p++) {
                scale /= 10;
                v += (*p - '0') * scale;
            }
        }
    }
    *h = p;
    return v > 1000 ? 1000 : v;
}

enum upload_page_lang upload_page_lang(const char *h)
{
    enum upload_page_lang best = UPLOAD_PAGE_EN;
    int best_q = 0;
    if (!h)
        return best;
    while (*h) {
        while (*h == ' ' || *h == ',')
            h++;
        const char *tag = h;
        while (*h && *h != ',' && *h != ';' && *h != ' ')
            h++;
        size_t tlen = (size_t)(h - tag);
        int q = 1000; /* in thousandths */
        while (*h && *h != ',') {
            if (*h == ';') {
                h++;
                while (*h == ' ')
                    h++;
                if ((h[0] == 'q' || h[0] == 'Q') && h[1] == '=') {
                    h += 2;
                    q = qvalue(&h);
                    continue;
                }
            }
            if (*h && *h != ',')
                h++;
        }
        bool fr = tlen >= 2 && strncasecmp(tag, "fr", 2) == 0 && (tlen == 2 || tag[2] == '-');
        bool en = tlen >= 2 && strncasecmp(tag, "en", 2) == 0 && (tlen == 2 || tag[2] == '-');
        if ((fr || en) && q > best_q) {
            best_q = q;
            best = fr ? UPLOAD_PAGE_FR : UPLOAD_PAGE_EN;
        }
    }
    return best;
}

static void hash_b64(const char *s, char *out, size_t n)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2base64(out, n, h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
}

void upload_page_csp(char out[UPLOAD_PAGE_CSP_MAX])
{
    char sh[64], jh[64];
    hash_b64(style, sh, sizeof(sh));
    hash_b64(script, jh, sizeof(jh));
    snprintf(out, UPLOAD_PAGE_CSP_MAX,
             "default-src 'none'; style-src 'sha256-%s'; script-src 'sha256-%s'; "
             "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
             sh, jh);
}

#define T(id) upload_page_text(lang, id)

static int begin(struct buf *b, enum upload_page_lang lang, const char *title)
{
    int rc = buf_printf(b,
                        "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                        "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
                        "<meta name=\"referrer\" content=\"no-referrer\">\n<title>",
                        lang == UPLOAD_PAGE_FR ? "fr" : "en");
    if (rc == 0)
        rc = share_html_escape(b, title);
    if (rc == 0)
        rc = buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
    return rc;
}

static int end(struct buf *b, enum upload_page_lang lang, bool with_script)
{
    int rc = buf_printf(b, "</main>\n<footer><p>%s</p></footer>\n", T("footer"));
    if (rc == 0 && with_script)
        rc = buf_printf(b, "<script>%s</script>\n", script);
    if (rc == 0)
        rc = buf_append_str(b, "</body>\n</html>\n");
    return rc;
}

int upload_page_message(struct buf *b, enum upload_page_lang lang, const char *title,
                        const char *text)
{
    int rc = begin(b, lang, title);
    if (rc == 0)
        rc = buf_append_str(b, "<main>\n<h1>");
    if (rc == 0)
        rc = share_html_escape(b, title);
    if (rc == 0)
        rc = buf_append_str(b, "</h1>\n<p>");
    if (rc == 0)
        rc = share_html_escape(b, text);
    if (rc == 0)
        rc = buf_append_str(b, "</p>\n");
    if (rc == 0)
        rc = end(b, lang, false);
    return rc;
}

int upload_page_form(struct buf *b, enum upload_page_lang lang, const struct upload_page_info *i)
{
    int rc = begin(b, lang, T("title"));
    /* Texts the script shows, escaped for attributes. */
    if (rc == 0)
        rc = buf_append_str(b, "<main");
    static const char *const data[] = {"sending", "done", "failed", "storedas"};
    for (size_t k = 0; rc == 0 && k < sizeof(data) / sizeof(data[0]); k++) {
        rc = buf_printf(b, " data-%s=\"", data[k]);
        if (rc == 0)
            rc = share_html_escape(b, T(data[k]));
        if (rc == 0)
            rc = buf_append_str(b, "\"");
    }
    if (rc == 0)
        rc = buf_printf(b, ">\n<h1>%s</h1>\n", T("title"));
    if (rc == 0 && i->from && *i->from) {
        rc = buf_printf(b, "<p class=\"meta\">%s ", T("from"));
        if (rc == 0)
            rc = share_html_escape(b, i->from);
        if (rc == 0)
            rc = buf_append_str(b, "</p>\n");
    }
    if (rc == 0 && i->message && *i->message) {
        rc = buf_append_str(b, "<p class=\"note\">");
        if (rc == 0)
            rc = share_html_escape(b, i->message);
        if (rc == 0)
            rc = buf_append_str(b, "</p>\n");
    }
    if (rc == 0)
        rc = buf_printf(b, "<p class=\"meta\">%s", T("intro"));
    if (rc == 0 && i->expires_at) {
        char t[TIME_RFC3339_LEN];
        time_rfc3339(i->expires_at, t);
        rc = buf_printf(b, " %s <time datetime=\"%s\">%.10s %.5s UTC</time>.", T("until"), t, t,
                        t + 11);
    }
    if (rc == 0 && i->files_left >= 0)
        rc = buf_printf(b, " %s %lld.", T("filesleft"), (long long)i->files_left);
    if (rc == 0 && i->bytes_left >= 0) {
        char sz[32];
        share_size_text(i->bytes_left, sz);
        rc = buf_printf(b, " %s %s.", T("bytesleft"), sz);
    }
    if (rc == 0)
        rc = buf_printf(b, "</p>\n<form id=\"f\" method=\"post\" action=\"%s/upload\" "
                           "enctype=\"multipart/form-data\">\n",
                        i->token);
    if (rc == 0 && i->password)
        rc = buf_printf(b,
                        "<label for=\"password\">%s</label>\n<input id=\"password\" "
                        "name=\"password\" type=\"password\" required autocomplete=\"off\">\n",
                        T("password"));
    if (rc == 0)
        rc = buf_printf(b,
                        "<label id=\"zone\" class=\"zone\" for=\"file\">%s\n"
                        "<input id=\"file\" name=\"file\" type=\"file\" multiple></label>\n"
                        "<button type=\"submit\">%s</button>\n</form>\n"
                        "<ul id=\"list\" aria-live=\"polite\"></ul>\n",
                        T("zone"), T("send"));
    if (rc == 0)
        rc = end(b, lang, true);
    return rc;
}
