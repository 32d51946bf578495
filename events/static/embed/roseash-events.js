/* <roseash-events>: the Rose Ash events app's list of coming dates, for any website.
 *
 *   <script src="https://events.example/embed/roseash-events.js" defer></script>
 *   <roseash-events calendar="market-days" tags="cider,trees" limit="5" theme="dark"></roseash-events>
 *
 * Attributes (all optional): calendar (a calendar's slug), tags (comma-separated; a date with
 * any of them), limit (1-20, default 4), theme (light or dark). The element reads
 * /embed/events.json on the events app this script came from (CORS, no cookies) and draws the
 * dates in its shadow root with textContent only; a link is made only to an http(s) page on
 * that same app.
 */
(function () {
  'use strict';
  if (!window.customElements || !window.fetch || customElements.get('roseash-events')) {
    return;
  }
  var script = document.currentScript;
  var src = script && script.src ? script.src : '';
  // The events app's base: this script's address without its own path.
  var BASE = src.replace(/(?:static\/)?embed\/roseash-events\.js(?:[?#].*)?$/, '');
  var base;
  try {
    base = new URL(BASE);
  } catch (e) {
    base = null;
  }

  var CSS = [
    ':host { display: block; font: 15px/1.4 system-ui, sans-serif; color: #1f2328; }',
    ':host([hidden]) { display: none; }',
    '.box { border: 1px solid #d0d7de; border-radius: 8px; padding: .6rem .9rem; background: #fff; }',
    ':host([theme="dark"]) { color: #e6edf3; }',
    ':host([theme="dark"]) .box { background: #161b22; border-color: #30363d; }',
    'ul { list-style: none; margin: 0; padding: 0; }',
    'li { display: flex; gap: .7rem; padding: .45rem 0; border-bottom: 1px solid rgba(127,127,127,.25); }',
    'li:last-child { border-bottom: 0; }',
    '.day { min-width: 2.6rem; text-align: center; font-weight: 700; line-height: 1.1; }',
    '.day small { display: block; font-weight: 400; font-size: .75rem; text-transform: uppercase; }',
    'a { color: inherit; }',
    '.title { font-weight: 600; }',
    '.meta { display: block; font-size: .85rem; opacity: .75; }',
    '.cancelled .title { text-decoration: line-through; }',
    '.note { opacity: .75; margin: .3rem 0; }',
    '.more { display: block; margin-top: .4rem; font-size: .85rem; }'
  ].join('\n');

  /* A link target only when it is an http(s) page of the events app itself. */
  function ownLink(value) {
    if (!base || typeof value !== 'string') {
      return null;
    }
    var url;
    try {
      url = new URL(value, base);
    } catch (e) {
      return null;
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== base.origin) {
      return null;
    }
    if (url.pathname.indexOf(base.pathname) !== 0) {
      return null;
    }
    return url.href;
  }

  function text(tag, value, className) {
    var el = document.createElement(tag);
    if (className) {
      el.className = className;
    }
    el.textContent = value == null ? '' : String(value);
    return el;
  }

  function format(iso, zone, options) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) {
      return '';
    }
    try {
      return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: zone }, options)).format(date);
    } catch (e) {
      return new Intl.DateTimeFormat(undefined, options).format(date);
    }
  }

  class RoseAshEvents extends HTMLElement {
    static get observedAttributes() {
      return ['calendar', 'tags', 'limit', 'theme'];
    }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: 'open' });
      this._generation = 0;
      this._connected = false;
    }

    connectedCallback() {
      this._connected = true;
      this._load();
    }

    disconnectedCallback() {
      this._connected = false;
    }

    attributeChangedCallback(name, before, after) {
      // Before connectedCallback (an upgrade reports every attribute) there is nothing to redo.
      if (this._connected && before !== after && name !== 'theme') {
        this._load();
      }
    }

    _feedUrl() {
      var url = new URL('embed/events.json', base);
      var calendar = (this.getAttribute('calendar') || '').trim();
      var tags = (this.getAttribute('tags') || '').trim();
      var limit = (this.getAttribute('limit') || '').trim();
      if (calendar) {
        url.searchParams.set('calendar', calendar);
      }
      if (tags) {
        url.searchParams.set('tag', tags);
      }
      if (limit) {
        url.searchParams.set('limit', limit);
      }
      return url.href;
    }

    _frame() {
      var style = document.createElement('style');
      style.textContent = CSS;
      var box = document.createElement('div');
      box.className = 'box';
      box.setAttribute('part', 'box');
      this._root.replaceChildren(style, box);
      return box;
    }

    _load() {
      var generation = ++this._generation;
      var box = this._frame();
      if (!base) {
        box.appendChild(text('p', 'These events cannot be shown here.', 'note'));
        return;
      }
      box.appendChild(text('p', 'Loading events…', 'note'));
      var self = this;
      fetch(this._feedUrl(), { credentials: 'omit', mode: 'cors', headers: { Accept: 'application/json' } })
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) {
              throw new Error(body && typeof body.error === 'string' ? body.error : 'HTTP ' + res.status);
            }
            return body;
          });
        })
        .then(function (body) {
          if (generation === self._generation) {
            self._render(body);
          }
        })
        .catch(function (error) {
          if (generation === self._generation) {
            var box = self._frame();
            box.appendChild(text('p', 'The events could not be loaded: ' + error.message, 'note'));
          }
        });
    }

    _render(body) {
      var box = this._frame();
      var events = body && Array.isArray(body.events) ? body.events : [];
      if (events.length === 0) {
        box.appendChild(text('p', 'Nothing is planned yet.', 'note'));
      }
      var list = document.createElement('ul');
      list.setAttribute('part', 'list');
      events.forEach(function (e) {
        var item = document.createElement('li');
        item.setAttribute('part', 'event');
        if (e.status === 'cancelled') {
          item.className = 'cancelled';
        }
        var day = text('span', format(e.starts_at, e.time_zone, { day: 'numeric' }), 'day');
        day.appendChild(text('small', format(e.starts_at, e.time_zone, { month: 'short' })));
        var main = document.createElement('span');
        var href = ownLink(e.url);
        var title;
        if (href) {
          title = text('a', e.title, 'title');
          title.href = href;
          title.target = '_blank';
          title.rel = 'noopener noreferrer';
        } else {
          title = text('span', e.title, 'title');
        }
        main.appendChild(title);
        var meta = [format(e.starts_at, e.time_zone, {
          weekday: 'short', hour: '2-digit', minute: '2-digit'
        })];
        if (e.location) {
          meta.push(e.location);
        }
        if (e.online) {
          meta.push('Online');
        }
        if (e.status === 'cancelled') {
          meta.push('Cancelled');
        } else if (e.status === 'tentative') {
          meta.push('To be confirmed');
        }
        main.appendChild(text('span', meta.join(' · '), 'meta'));
        item.appendChild(day);
        item.appendChild(main);
        list.appendChild(item);
      });
      if (events.length) {
        box.appendChild(list);
      }
      var more = ownLink(body && body.url);
      if (more) {
        var link = text('a', 'All events →', 'more');
        link.href = more;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        box.appendChild(link);
      }
    }
  }

  customElements.define('roseash-events', RoseAshEvents);
})();
