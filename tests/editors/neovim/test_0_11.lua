-- A real-editor test of the Neovim 0.11+ set-up (editors/neovim/lsp/portos_lsp.lua with vim.lsp.enable), headless.
-- run.sh lays out a user configuration the way the README says (the file as
-- $XDG_CONFIG_HOME/nvim/lsp/portos_lsp.lua, an init.lua with `vim.lsp.enable('portos_lsp')`), puts the
-- binary on PATH as `portos-lsp`, and runs:
--
--   PORTOS_NVIM_CLI=cli.txt PORTOS_NVIM_ROOT=$PWD/examples/workspace PORTOS_NVIM_SCRATCH=/tmp/dir \
--   PORTOS_NVIM_CHECKS=checks.txt nvim --headless -i NONE -c 'luafile tests/editors/neovim/test_0_11.lua'
--
-- It opens the example shop app's ecosystem file and waits for the diagnostics `portos-lsp check` finds
-- (PORTOS_NVIM_CLI, one `LINE:COL SEVERITY CODE` a line), then opens another ecosystem file of the workspace,
-- an ecosystem file elsewhere and a plain JavaScript file, and sees which client each gets. Writes one
-- `ok - …` or `FAIL - …` line per check to PORTOS_NVIM_CHECKS (run.sh counts them), then quits.

local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local repo = vim.fn.fnamemodify(here, ':h:h:h')
local checks = dofile(here .. '/checks.lua')
checks.with_version()
local check, read, severity_names = checks.check, checks.read, checks.severity_names
local started = vim.uv.hrtime()

-- The server's one question per workspace without PortOS's convention (window/showMessageRequest): a headless
-- Neovim would wait for a key forever, so the test answers null, as a user who dismisses it does.
local questions = {}
vim.lsp.handlers['window/showMessageRequest'] = function(_, params)
  table.insert(questions, params and params.message or '')
  return vim.NIL
end

local function client_of(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = 'portos_lsp' })[1]
end

local function open(file)
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  return vim.api.nvim_get_current_buf()
end

local function run()
  local config = vim.lsp.config.portos_lsp
  check(
    config ~= nil and vim.deep_equal(config.cmd, { 'portos-lsp', 'serve' }),
    "vim.lsp.config finds lsp/portos_lsp.lua on 'runtimepath'",
    vim.inspect(config and config.cmd)
  )
  check(vim.lsp.is_enabled == nil or vim.lsp.is_enabled('portos_lsp'), "init.lua's vim.lsp.enable('portos_lsp') ran")

  -- The shop app: a client whose root is the workspace (it has portos-lsp.toml), and the file's diagnostics.
  local shop = open(repo .. '/examples/workspace/shop/ecosystem.config.cjs')
  check(vim.bo[shop].filetype == 'javascript', 'a .cjs file has filetype javascript', vim.bo[shop].filetype)
  local client
  vim.wait(10000, function()
    client = client_of(shop)
    return client ~= nil and client.initialized
  end, 20)
  if not check(client ~= nil, 'the ecosystem file gets a portos_lsp client') then
    return
  end
  check(client.initialized, 'the server answered initialize within 10 s')
  local root = os.getenv('PORTOS_NVIM_ROOT')
  check(client.root_dir == root, "the client's root is the workspace, " .. tostring(root), vim.inspect(client.root_dir))

  local cli = {}
  local cli_count = 0
  for line in (read(os.getenv('PORTOS_NVIM_CLI')) or ''):gmatch('[^\n]+') do
    cli[line] = true
    cli_count = cli_count + 1
  end
  check(cli_count > 0, 'the command line finds something in the file (the test needs it)')
  local function shown()
    local editor = {}
    for _, d in ipairs(vim.diagnostic.get(shop)) do
      local key = string.format('%d:%d %s %s', d.lnum + 1, d.col + 1, severity_names[d.severity] or '?', tostring(d.code))
      editor[key] = d
    end
    return editor
  end
  -- Cross-file findings may come with a later publish, once the workspace is indexed: wait for all of them.
  vim.wait(15000, function()
    local editor = shown()
    for line in pairs(cli) do
      if not editor[line] then
        return false
      end
    end
    return true
  end, 20)
  local editor = shown()
  local editor_lines = vim.tbl_keys(editor)
  table.sort(editor_lines)
  local cli_lines = vim.tbl_keys(cli)
  table.sort(cli_lines)
  for _, line in ipairs(cli_lines) do
    local d = editor[line]
    check(d ~= nil, 'Neovim shows ' .. line .. ' as `portos-lsp check` does', 'editor has: ' .. table.concat(editor_lines, ', '))
    if d then
      check(d.source == 'portos-lsp', line .. ' has source portos-lsp', tostring(d.source))
    end
  end
  for _, line in ipairs(editor_lines) do
    check(cli[line], 'Neovim shows nothing the command line does not: ' .. line)
  end

  check(#questions == 0, 'no convention question for a workspace that shows the convention', vim.inspect(questions))

  -- Another ecosystem file of the workspace joins the client; one elsewhere gets its own; other JavaScript none.
  local legacy = open(repo .. '/examples/workspace/legacy/ecosystem.config.cjs')
  check(vim.wait(5000, function()
    local c = client_of(legacy)
    return c ~= nil and c.id == client.id
  end, 20), 'a second ecosystem file of the workspace joins the running client')

  -- PM2's YAML file of the workspace: filetype yaml, the same client, and its instances clash shown.
  local yaml = open(repo .. '/examples/workspace/workers/ecosystem.yml')
  check(vim.bo[yaml].filetype == 'yaml', 'workers/ecosystem.yml has filetype yaml', vim.bo[yaml].filetype)
  check(vim.wait(5000, function()
    local c = client_of(yaml)
    return c ~= nil and c.id == client.id
  end, 20), "PM2's YAML file of the workspace joins the running client")
  check(vim.wait(10000, function()
    for _, d in ipairs(vim.diagnostic.get(yaml)) do
      if tostring(d.code) == 'instances-port-clash' and d.lnum == 6 and d.col == 12 then
        return true
      end
    end
    return false
  end, 20), 'it shows instances-port-clash on 7:13, as `portos-lsp check` does')

  local yaml_plain = open(vim.fn.fnamemodify(vim.fn.tempname(), ':p') .. '-docker-compose.yml')
  vim.wait(300)
  check(client_of(yaml_plain) == nil, 'another YAML file gets no client')

  local scratch = vim.fn.fnamemodify(os.getenv('PORTOS_NVIM_SCRATCH') or vim.fn.tempname(), ':p'):gsub('/$', '')
  vim.fn.mkdir(scratch, 'p')
  local elsewhere = open(scratch .. '/ecosystem.prod.config.js')
  local other
  vim.wait(10000, function()
    other = client_of(elsewhere)
    return other ~= nil
  end, 20)
  check(other ~= nil and other.id ~= client.id, 'ecosystem.prod.config.js elsewhere gets a client of its own')
  check(other ~= nil and other.root_dir == scratch, 'its root is its own directory (no marker above it)',
    vim.inspect(other and other.root_dir))

  local plain = open(scratch .. '/server.js')
  check(vim.bo[plain].filetype == 'javascript', 'server.js has filetype javascript', vim.bo[plain].filetype)
  vim.wait(500) -- room for a FileType handler that would attach it
  check(client_of(plain) == nil, 'server.js gets no client', vim.inspect(vim.tbl_map(function(c)
    return c.name
  end, vim.lsp.get_clients({ bufnr = plain }))))

  local ids = vim.tbl_map(function(c)
    return c.id
  end, vim.lsp.get_clients({ name = 'portos_lsp' }))
  check(#ids == 2, 'two portos_lsp clients in all', tostring(#ids))
  vim.lsp.stop_client(ids)
  check(vim.wait(5000, function()
    return #vim.lsp.get_clients({ name = 'portos_lsp' }) == 0
  end, 20), 'the servers exit on shutdown/exit')
  table.insert(checks.lines, string.format('# took %d ms', math.floor((vim.uv.hrtime() - started) / 1e6)))
end

checks.finish(run, 'test_0_11.lua')
