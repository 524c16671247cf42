document.getElementById('app').dataset.ready = 'yes';
