// Every page of the portal, one import each: a page registers its own route.
import './home.js';
import './today.js';
import './inbox.js';
import './notices.js';
import './tickets.js';
import './ticket.js';
import './dashboard.js';
import './assessment.js';
import './integrity.js';
import './admin.js';
import './map.js';
import './cockpit.js';
