-- A real-editor test of portos-lsp in Neovim 0.7+, headless:
--
--   PORTOS_LSP_CMD=target/debug/portos-lsp PORTOS_NVIM_RESULT=/tmp/result.json \
--     nvim --headless -u NONE -i NONE -c 'luafile tests/editors/neovim/test.lua'
--
-- It loads the README's set-up snippet (editors/neovim/portos_lsp_0_7.lua), opens the example shop app's
-- ecosystem file, waits for its diagnostics, asks for a hover on a port literal and for a completion where a
-- port is typed, writes what it saw to PORTOS_NVIM_RESULT as JSON, and leaves with :qa! (all seen) or :cq
-- (something missing). Neovim 0.7's headless exit code is not to be trusted: run.sh checks the JSON file
-- (check.lua).

local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local repo = vim.fn.fnamemodify(here, ':h:h:h')
local result_path = os.getenv('PORTOS_NVIM_RESULT') or (vim.fn.tempname() .. '.json')
local file = repo .. '/examples/workspace/shop/ecosystem.config.cjs'
-- The codes the file must show: run.sh passes what `portos-lsp check` reports for it.
local expected = vim.split(os.getenv('PORTOS_NVIM_EXPECT') or 'duplicate-process-name,port-conflict', ',', { trimempty = true })
local started = vim.loop.hrtime()

local function ms()
  return math.floor((vim.loop.hrtime() - started) / 1e6)
end

local result = {
  nvim = tostring(vim.version().major) .. '.' .. vim.version().minor .. '.' .. vim.version().patch,
  file = file,
  failures = {},
  publishes = {},
  timings = {},
}

local function fail(message)
  table.insert(result.failures, message)
end

local function codes_of(diagnostics)
  local codes = {}
  for _, d in ipairs(diagnostics) do
    table.insert(codes, d.code == nil and vim.NIL or tostring(d.code))
  end
  table.sort(codes, function(a, b)
    return tostring(a) < tostring(b)
  end)
  return codes
end

-- Every publishDiagnostics the server sends, with the time it arrived.
local default_publish = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, params, ctx, config)
  if params then
    table.insert(result.publishes, {
      ms = ms(),
      uri = params.uri,
      version = params.version or vim.NIL,
      codes = codes_of(params.diagnostics or {}),
    })
  end
  return default_publish(err, params, ctx, config)
end

-- The server's one question per workspace without PortOS's convention (window/showMessageRequest): a headless
-- Neovim would wait for a key forever, so the test answers null, as a user who dismisses it does, and notes it.
result.questions = {}
vim.lsp.handlers['window/showMessageRequest'] = function(_, params)
  table.insert(result.questions, params and params.message or vim.NIL)
  return vim.NIL
end

-- The text of a hover answer: MarkupContent, MarkedString or a list of them.
local function hover_text(contents)
  if type(contents) == 'string' then
    return contents
  end
  if type(contents) ~= 'table' then
    return ''
  end
  if contents.value then
    return contents.value
  end
  local parts = {}
  for _, part in ipairs(contents) do
    table.insert(parts, hover_text(part))
  end
  return table.concat(parts, '\n')
end

-- The one answer of a buf_request_sync from our client: result, error text.
local function answer_of(responses, client_id)
  if not responses then
    return nil, 'no answer within the timeout'
  end
  local response = responses[client_id]
  if not response then
    return nil, 'no answer from portos-lsp'
  end
  if response.err then
    return nil, vim.inspect(response.err)
  end
  return response.result, nil
end

local function find_line(bufnr, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
end

local function run()
  vim.o.hidden = true -- the edited buffer stays while the test opens others
  -- Watch the snippet's start_client calls, to know the clients it starts and to see one die early.
  local started_ids = {}
  local start_client = vim.lsp.start_client
  vim.lsp.start_client = function(config)
    local id = start_client(config)
    table.insert(started_ids, id or vim.NIL)
    result.client_config = result.client_config
      or { name = config.name, cmd = config.cmd, root_dir = config.root_dir or vim.NIL }
    return id
  end
  dofile(repo .. '/editors/neovim/portos_lsp_0_7.lua')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  result.started_clients = #started_ids
  if #started_ids ~= 1 then
    fail('opening the file should start one client; the snippet started ' .. #started_ids)
    return
  elseif started_ids[1] == vim.NIL then
    local cmd = table.concat(result.client_config.cmd, ' ')
    fail('vim.lsp.start_client returned nil: the server could not be started (' .. cmd .. ')')
    return
  end

  -- Neovim 0.7 lists the client among the buffer's clients once the server has answered initialize.
  local client
  local function attached()
    for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
      if c.name == 'portos-lsp' then
        client = c
      end
    end
    return client ~= nil or vim.lsp.get_client_by_id(started_ids[1]) == nil
  end
  vim.wait(10000, attached, 20)
  if not client then
    fail(vim.lsp.get_client_by_id(started_ids[1]) == nil and 'the server exited before initialize was answered'
      or 'the server did not answer initialize within 10 s')
    return
  end
  result.timings.initialized_ms = ms()
  result.root_dir = client.config.root_dir
  result.position_encoding = client.offset_encoding

  -- Diagnostics: wait until there are some, then (briefly) until the expected codes are all there, since
  -- cross-file findings may come with a later publish, once the workspace is indexed.
  local function has_expected()
    local seen = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      seen[tostring(d.code)] = true
    end
    for _, code in ipairs(expected) do
      if not seen[code] then
        return false
      end
    end
    return true
  end
  if vim.wait(10000, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20) then
    result.timings.first_diagnostics_ms = ms()
    result.first_codes = codes_of(vim.diagnostic.get(bufnr))
    if not vim.wait(5000, has_expected, 20) then
      fail('5 s after the first diagnostics, they still lack some of the expected codes (' .. table.concat(expected, ', ') .. ')')
    end
  else
    fail('no diagnostics within 10 s')
  end
  result.timings.diagnostics_ms = ms()
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, {
      code = d.code == nil and vim.NIL or tostring(d.code),
      severity = d.severity,
      source = d.source or vim.NIL,
      line = d.lnum + 1,
      col = d.col + 1,
      message = d.message,
    })
  end
  result.codes = codes_of(vim.diagnostic.get(bufnr))

  -- Hover on the literal 5570 of `API: 5570` in the PORTS table.
  local line, col = find_line(bufnr, 'API: 5570')
  if not line then
    fail('the file has no `API: 5570` line to hover on')
  else
    local position = { line = line, character = col + #'API: ' + 1 }
    result.hover_position = position
    local responses, why = vim.lsp.buf_request_sync(
      bufnr,
      'textDocument/hover',
      { textDocument = { uri = uri }, position = position },
      5000
    )
    local hover, err = answer_of(responses, client.id)
    result.timings.hover_ms = ms()
    if not hover then
      fail('hover: ' .. (err or why or 'null result'))
      result.hover = vim.NIL
    else
      result.hover = hover_text(hover.contents)
      result.hover_kind = type(hover.contents) == 'table' and hover.contents.kind or vim.NIL
    end
  end

  -- Completion where a port is typed: a new `ADMIN: ` entry in the PORTS table, as if just typed.
  local health = find_line(bufnr, 'HEALTH: 5573')
  if not health then
    fail('the file has no `HEALTH: 5573` line to add a PORTS entry after')
  else
    local typed = '  ADMIN: '
    vim.api.nvim_buf_set_lines(bufnr, health + 1, health + 1, false, { typed })
    local position = { line = health + 1, character = #typed }
    result.completion_position = position
    result.completion_line = typed
    local responses, why = vim.lsp.buf_request_sync(bufnr, 'textDocument/completion', {
      textDocument = { uri = uri },
      position = position,
      context = { triggerKind = 2, triggerCharacter = ' ' },
    }, 5000)
    local answer, err = answer_of(responses, client.id)
    result.timings.completion_ms = ms()
    if not answer then
      fail('completion: ' .. (err or why or 'null result'))
      result.completion = {}
    else
      local items = answer.items or answer
      result.completion = {}
      for _, item in ipairs(items) do
        table.insert(result.completion, {
          label = item.label,
          detail = item.detail or vim.NIL,
          sort_text = item.sortText or vim.NIL,
          preselect = item.preselect or false,
        })
      end
      if #result.completion == 0 then
        fail('completion: no items')
      end
    end
  end

  -- The snippet's autocommand: a second file of the same workspace joins the running client; an ecosystem
  -- file elsewhere gets a client of its own, which its sibling variants share; other JavaScript gets none.
  local function attached_to(buf, id)
    return vim.wait(10000, function()
      return vim.lsp.buf_get_clients(buf)[id] ~= nil
    end, 20)
  end
  local snippet = {}
  result.snippet = snippet
  vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/examples/workspace/legacy/ecosystem.config.cjs'))
  snippet.same_workspace_same_client = #started_ids == 1 and attached_to(vim.api.nvim_get_current_buf(), client.id)
  local elsewhere = vim.fn.fnamemodify(vim.fn.tempname(), ':p') .. '-portos'
  vim.fn.mkdir(elsewhere, 'p')
  vim.cmd('edit ' .. vim.fn.fnameescape(elsewhere .. '/ecosystem.prod.config.js'))
  local variant = vim.api.nvim_get_current_buf()
  snippet.variant_new_client = #started_ids == 2 and started_ids[2] ~= vim.NIL and attached_to(variant, started_ids[2])
  vim.cmd('edit ' .. vim.fn.fnameescape(elsewhere .. '/pm2.config.mjs'))
  snippet.pm2_same_client = #started_ids == 2 and started_ids[2] ~= vim.NIL
    and attached_to(vim.api.nvim_get_current_buf(), started_ids[2])
  -- PM2's YAML file of the workspace joins the running client, and shows what `portos-lsp check` finds there.
  vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/examples/workspace/workers/ecosystem.yml'))
  local yaml = vim.api.nvim_get_current_buf()
  snippet.yaml_same_client = attached_to(yaml, client.id)
  vim.wait(10000, function()
    for _, d in ipairs(vim.diagnostic.get(yaml)) do
      if tostring(d.code) == 'instances-port-clash' then
        return true
      end
    end
    return false
  end, 20)
  result.yaml_diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(yaml)) do
    table.insert(result.yaml_diagnostics, {
      code = d.code == nil and vim.NIL or tostring(d.code),
      severity = d.severity,
      source = d.source or vim.NIL,
      line = d.lnum + 1,
      col = d.col + 1,
    })
  end
  vim.cmd('edit ' .. vim.fn.fnameescape(elsewhere .. '/server.js'))
  snippet.other_js_no_client = #started_ids == 2 and next(vim.lsp.buf_get_clients(vim.api.nvim_get_current_buf())) == nil
  snippet.clients_started = #started_ids
  result.timings.snippet_ms = ms()
  for what, ok in pairs(snippet) do
    if ok == false then
      fail('snippet: ' .. what)
    end
  end

  -- Shut the servers down the way Neovim does (shutdown, exit), and see that they go.
  vim.lsp.stop_client(vim.tbl_filter(function(id)
    return id ~= vim.NIL
  end, started_ids))
  result.server_stopped = vim.wait(5000, function()
    for _, id in ipairs(started_ids) do
      if id ~= vim.NIL and vim.lsp.get_client_by_id(id) ~= nil then
        return false
      end
    end
    return true
  end, 20)
  result.timings.stopped_ms = ms()
  if not result.server_stopped then
    fail('a server did not exit within 5 s of shutdown/exit')
  end
  vim.lsp.start_client = start_client
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  fail('test.lua raised: ' .. tostring(err))
end
result.ok = #result.failures == 0
result.timings.total_ms = ms()

local out = io.open(result_path, 'w')
if out then
  out:write(vim.fn.json_encode(result), '\n')
  out:close()
end
if result.ok then
  vim.cmd('qa!')
else
  vim.cmd('cq')
end
