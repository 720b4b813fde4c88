import Foundation

/// What the dashboard's HTML pages share: escaping, the page around the content, the inline style and the inline
/// refresh script. Nothing is loaded from elsewhere (no script, font, style sheet or image), so the pages work
/// offline and behind a proxy that only forwards `/v1`.
enum DashboardHTML {
    /// Escapes text for an HTML text node or a quoted attribute value (also inside inline SVG).
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A whole page. `live` is the content that the refresh script replaces with the same element of a fresh copy
    /// of the page every `refreshSeconds`; `final` stops the refreshing (a job that ended no longer changes).
    static func page(title: String, heading: String, live: String, final: Bool, refreshSeconds: Int = 5) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        \(final ? "" : "<noscript><meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\"></noscript>")
        <title>\(escape(title))</title>
        <style>\(style)</style></head><body>
        \(heading)
        <main id="live" data-refresh="\(refreshSeconds)" data-final="\(final)" data-refreshes="0">
        \(live)
        </main>
        <footer><p id="refreshed">\(final ? "This job has ended; the page no longer changes." : "Refreshes every \(refreshSeconds) s.")</p></footer>
        <script>\(script)</script>
        </body></html>
        """
    }

    static let style = """
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem 2rem;color:#1d2329;background:#fff}
    h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
    a{color:#1f5f99}code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.92em}
    table{border-collapse:collapse;width:100%}th,td{padding:.32rem .6rem;border-bottom:1px solid #dde1e5;text-align:left;vertical-align:top}
    th{background:#f3f5f7;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
    .status{display:inline-block;padding:.05rem .5rem;border-radius:.7rem;font-size:.85em;font-weight:600;background:#e8ebef}
    .status.succeeded{background:#dcf1e0;color:#1d6b2f}.status.failed{background:#f8dede;color:#9b1c1c}
    .status.running{background:#dde9f8;color:#1f5f99}.status.cancelled{background:#eee;color:#555}
    .status.queued,.status.validating{background:#fdf1d6;color:#7a5300}
    progress{width:10rem;vertical-align:middle}.muted{color:#66707a}.error{color:#9b1c1c}
    dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.2rem;margin:.4rem 0}dl.facts dt{color:#66707a}dl.facts dd{margin:0}
    svg.audit{max-width:100%;height:auto;font-family:inherit}svg.audit text{font-size:12px;fill:#1d2329}
    svg.audit .grid{stroke:#e3e6ea}svg.audit .before{fill:#c8553d}svg.audit .after{fill:#2a7ab0}
    svg.audit text.caption{fill:#66707a}svg.audit text.heading{font-weight:600;font-size:13px}svg.audit text.figure{fill:#1d2329}
    details{margin:.6rem 0}summary{cursor:pointer;color:#1f5f99}
    footer{margin-top:1.5rem;color:#66707a;font-size:.85rem}
    """

    /// Replaces `#live` with the same element of a fresh copy of the page (fetched with the browser's own
    /// credentials), until the page says it is final. A failed refresh is reported and retried.
    static let script = """
    (function(){
    var live=document.getElementById('live'),note=document.getElementById('refreshed');if(!live||!window.fetch)return;
    var every=(parseInt(live.getAttribute('data-refresh'),10)||5)*1000,count=0;
    function say(t){if(note)note.textContent=t;}
    function clock(){return new Date().toISOString().slice(11,19)+' UTC';}
    function done(){return live.getAttribute('data-final')==='true';}
    function tick(){
    fetch(location.href,{headers:{'Accept':'text/html'},cache:'no-store',credentials:'same-origin'})
    .then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.text();})
    .then(function(html){
    var fresh=new DOMParser().parseFromString(html,'text/html').getElementById('live');
    if(!fresh)throw new Error('not a dashboard page');
    live.innerHTML=fresh.innerHTML;live.setAttribute('data-final',fresh.getAttribute('data-final')||'false');
    live.setAttribute('data-refreshes',String(++count));
    say(done()?'This job has ended; the page no longer changes.':'Refreshed at '+clock()+'; every '+every/1000+' s.');
    })
    .catch(function(e){say('Refresh failed at '+clock()+' ('+e.message+'); retrying every '+every/1000+' s.');})
    .then(function(){if(!done())setTimeout(tick,every);});
    }
    if(!done())setTimeout(tick,every);
    })();
    """
}
